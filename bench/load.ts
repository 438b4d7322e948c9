/**
 * `load` of 100,000 orders (≈300,000 items) through the CLI, on SQLite and MariaDB, next to the peer:
 * plain batched INSERTs of the same rows (what the databases can do at all).
 */
import path from 'node:path';
import { connectDatabase, migrateLatest } from '../src/db/connect.js';
import { bulkInsert } from '../src/db/bulk-insert.js';
import { ITEM_COLUMNS, ORDER_COLUMNS } from '../src/db/import-writes.js';
import { loadConfig } from '../config/index.js';
import { writeDataset } from './generate-dataset.js';
import { freshDatabaseUrl, round, tempDir, timeCli } from './support.js';

async function rawInsertMs(url: string, orders: number, itemsPerOrder: number): Promise<number> {
  const db = connectDatabase(loadConfig({ DATABASE_URL: url }).database);
  await migrateLatest(db);
  await db('companies').insert({ code: 'PEER', name: 'Peer', type: 'dropship', created_at: 0, updated_at: 0 });
  // The rows are built before the clock starts: the peer times the INSERTs alone.
  // The same columns as `load` writes, each value keyed by its column: a column added to `load` fails to compile here.
  const order = (i: number): Record<(typeof ORDER_COLUMNS)[number], string | number | null> => ({
    company_id: 1,
    number: `P-${i}`,
    source: 'api',
    status: 'dispatched',
    on_hold: 0,
    has_errors: 0,
    error_text: null,
    unique_invoice: 0,
    relating_to: null,
    currency: 'GBP',
    shipping_minor: 499,
    created_at: 1,
    dispatched_at: null,
    updated_at: 1,
  });
  const orderRows = Array.from({ length: orders }, (_, i) => {
    const row = order(i);
    return ORDER_COLUMNS.map((c) => row[c]);
  });
  const item = (orderId: number, position: number): Record<(typeof ITEM_COLUMNS)[number], string | number> => ({
    order_id: orderId,
    position,
    sku: 'SKU-001',
    description: 'Item',
    quantity: 1,
    unit_cost_price_e4: 10000,
    tax_rate_bp: 2000,
  });
  const itemRows: unknown[][] = [];
  for (let i = 1; i <= orders; i++)
    for (let j = 0; j < itemsPerOrder; j++) {
      const row = item(i, j);
      itemRows.push(ITEM_COLUMNS.map((c) => row[c]));
    }
  const started = performance.now();
  await db.transaction(async (trx) => {
    await bulkInsert(trx, 'orders', ORDER_COLUMNS, orderRows);
    await bulkInsert(trx, 'order_items', ITEM_COLUMNS, itemRows);
  });
  const ms = performance.now() - started;
  await db.destroy();
  return ms;
}

export async function runLoadBench(orders = 100_000): Promise<Record<string, number>> {
  const dir = tempDir('load');
  const file = path.join(dir, 'orders.json');
  const shape = writeDataset(file, { suppliers: 1, companiesPerSupplier: 4, ordersPerCompany: orders / 4, itemsPerOrder: 3 });
  const out: Record<string, number> = { orders: shape.orders, items: shape.items };
  for (const kind of ['sqlite', 'mariadb'] as const) {
    const url = await freshDatabaseUrl(kind, dir);
    const env = { DATABASE_URL: url, OMS_DATA_DIR: dir };
    await timeCli(['migrate'], env);
    const t = await timeCli(['load', '--json', file], env);
    const peer = await rawInsertMs(await freshDatabaseUrl(kind, dir), orders, 3);
    out[`${kind}LoadMs`] = round(t.ms);
    out[`${kind}LoadPeakRssMb`] = t.peakRssMb;
    out[`${kind}RawInsertMs`] = round(peer);
    out[`${kind}LoadVsRawInsert`] = round(t.ms / peer, 2);
  }
  return out;
}
