/**
 * Synthetic import files in the SPEC §6 format, for benchmarks: companies under supplier parents, one
 * product catalogue, and orders of about three items each.
 */
import fs from 'node:fs';

export interface DatasetShape {
  suppliers: number;
  companiesPerSupplier: number;
  ordersPerCompany: number;
  itemsPerOrder: number;
  /** Every company gets an enabled pdf-emailer and xml-sftp integration with these settings */
  integrations?: (code: string) => unknown[];
}

const SKUS = Array.from({ length: 50 }, (_, i) => `SKU-${String(i).padStart(3, '0')}`);

export function writeDataset(file: string, shape: DatasetShape): { orders: number; items: number; companies: string[] } {
  const out = fs.openSync(file, 'w');
  const write = (s: string) => fs.writeSync(out, s);
  const companies: string[] = [];
  write('{"companies":[');
  let first = true;
  for (let s = 0; s < shape.suppliers; s++) {
    const sup = `SUP${s}`;
    write(
      `${first ? '' : ','}${JSON.stringify({ code: sup, name: `Supplier ${s} Ltd`, type: 'supplier', parent: null, vatNumber: 'GB123456789', endpoint: { scheme: '0088', id: `579000043${String(s).padStart(4, '0')}` }, address: { lines: ['1 High St'], city: 'London', postcode: 'N1 1AA', country: 'GB' } })}`,
    );
    first = false;
    for (let c = 0; c < shape.companiesPerSupplier; c++) {
      const code = `R${s}X${c}`;
      companies.push(code);
      write(
        `,${JSON.stringify({
          code,
          name: `Retailer ${s}/${c} Łódź`,
          type: 'dropship',
          parent: sup,
          tradeTier: 'gold',
          vatNumber: 'GB987654321',
          endpoint: { scheme: '0088', id: `579100043${String(c).padStart(4, '0')}` },
          address: { lines: ['2 Market St'], city: 'Leeds', postcode: 'LS1 1AA', country: 'GB' },
          invoicing: {
            currency: 'GBP',
            paymentTermsDays: 30,
            paymentDetails: 'Sort code 12-34-56',
            iban: 'GB33BUKB20201555555555',
            bic: 'BUKBGB22',
            layout: 'combined',
          },
          ...(shape.integrations ? { integrations: shape.integrations(code) } : {}),
        })}`,
      );
    }
  }
  write('],"products":[');
  write(
    SKUS.map((sku, i) =>
      JSON.stringify({ sku, name: `Product ${i}`, taxRate: i % 10 === 0 ? '5' : '20', costPrice: `${1 + i}.50`, tradeTierPrices: { gold: `${1 + i}.25` } }),
    ).join(','),
  );
  write('],"orders":[');
  let orders = 0;
  let items = 0;
  first = true;
  for (const code of companies) {
    for (let o = 0; o < shape.ordersPerCompany; o++) {
      const its = Array.from({ length: shape.itemsPerOrder }, (_, j) => ({
        sku: SKUS[(o + j) % SKUS.length]!,
        description: `Item ${j} of order ${o}`,
        quantity: 1 + ((o + j) % 4),
        ...(j === 0 ? {} : { unitCostPrice: `${(o % 90) + 1}.${String((o * 7 + j) % 10000).padStart(4, '0')}` }),
        taxRate: j === 2 ? '5' : '20',
      }));
      items += its.length;
      orders++;
      write(
        `${first ? '' : ','}${JSON.stringify({
          company: code,
          number: `${code}-${o}`,
          source: 'api',
          status: o % 50 === 0 ? 'processing' : 'dispatched',
          onHold: o % 97 === 0,
          hasErrors: false,
          uniqueInvoice: false,
          createdAt: `2026-11-0${1 + (o % 9)}T10:${String(o % 60).padStart(2, '0')}:00Z`,
          dispatchedAt: '2026-11-10T09:00:00Z',
          currency: 'GBP',
          shippingCost: `${o % 10}.99`,
          items: its,
        })}`,
      );
      first = false;
    }
  }
  write(']}');
  fs.closeSync(out);
  return { orders, items, companies };
}
