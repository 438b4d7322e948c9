/**
 * One order at a time, for the HTTP API: created or changed through the same schema and the same
 * `loadImport` as `load`, so an order is checked by exactly one set of rules whichever way it arrives.
 */
import type { Knex } from 'knex';
import { findOrder, findOrderByNumber, setOrderOnHold, type OrderView } from '../db/orders-repo.js';
import { AppError, inputError, type Problem } from '../domain/errors.js';
import { orderSchema, type OrderInput } from './import-schema.js';
import { loadImport } from './load-import.js';
import { schemaInputError } from './read-import-files.js';

const SOURCE = 'request';

/** Problems from `loadImport` name `orders[0].…`; for a single order they are relative to the order. */
export function rebaseProblems(err: unknown, prefix: string): unknown {
  if (!(err instanceof AppError) || err.code !== 'INPUT') return err;
  const problems: Problem[] = err.problems.map((p) => ({
    path:
      p.path === prefix
        ? ''
        : p.path.startsWith(`${prefix}.`)
          ? p.path.slice(prefix.length + 1)
          : p.path.startsWith(`${prefix}[`)
            ? p.path.slice(prefix.length)
            : p.path,
    message: p.message,
  }));
  return inputError(problems);
}

function notFound(id: number | string): AppError {
  return new AppError('NOT_FOUND', `unknown order ${id}`, { problems: [{ path: '', message: `unknown order ${id}` }] });
}

function invoicedConflict(order: OrderView): AppError {
  const message = `order ${order.number} of ${order.company} is invoiced (${order.invoice}) and cannot be changed (issue a credit note instead)`;
  return new AppError('CONFLICT', message, { problems: [{ path: '', message }] });
}

function parseOrder(raw: unknown): OrderInput {
  const parsed = orderSchema.safeParse(raw);
  if (!parsed.success) throw schemaInputError(parsed.error);
  return parsed.data;
}

async function store(db: Knex, order: OrderInput, now: number): Promise<{ order: OrderView; created: boolean }> {
  try {
    const summary = await loadImport(db, [{ file: SOURCE, data: { companies: [], users: [], products: [], orders: [order] } }], { now });
    const stored = await findOrderByNumber(db, order.company, order.number);
    return { order: stored!, created: summary.orders.inserted > 0 };
  } catch (err) {
    // `load` refuses a change to an invoiced order as bad input; to the API it is a conflict with stored state
    const existing = err instanceof AppError && err.code === 'INPUT' ? await findOrderByNumber(db, order.company, order.number) : null;
    if (existing?.invoiced) throw invoicedConflict(existing);
    throw rebaseProblems(err, 'orders[0]');
  }
}

/** Creates an order, or replaces one not yet invoiced with the same company and number (as `load` does). */
export async function saveOrder(db: Knex, raw: unknown, now: number): Promise<{ order: OrderView; created: boolean }> {
  return store(db, parseOrder(raw), now);
}

/** An order as the import format writes it: what a change is merged into. */
function toOrderInput(o: OrderView): Record<string, unknown> {
  return {
    company: o.company,
    number: o.number,
    source: o.source,
    status: o.status,
    onHold: o.onHold,
    hasErrors: o.hasErrors,
    errorText: o.errorText,
    uniqueInvoice: o.uniqueInvoice,
    relatingTo: o.relatingTo,
    createdAt: o.createdAt,
    dispatchedAt: o.dispatchedAt,
    currency: o.currency,
    shippingCost: o.shippingCost,
    items: o.items.map((it) => ({ ...it })),
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Changes some fields of an order not yet invoiced. `items`, when given, replaces every item. The
 * company and number identify the order and cannot change.
 */
export async function updateOrder(db: Knex, id: number, patch: unknown, now: number): Promise<OrderView> {
  const current = await findOrder(db, id);
  if (!current) throw notFound(id);
  if (!isObject(patch)) throw inputError([{ path: '', message: 'must be an object with the fields to change' }]);
  const fixed = (['company', 'number'] as const).filter((k) => k in patch && patch[k] !== current[k]);
  if (fixed.length > 0) throw inputError(fixed.map((k) => ({ path: k, message: 'cannot be changed: the company and number identify the order' })));
  if (current.invoiced) throw invoicedConflict(current);
  return (await store(db, parseOrder({ ...toOrderInput(current), ...patch }), now)).order;
}

/** Puts an order on hold (runs skip it) or releases it. An invoiced order cannot change. */
export async function holdOrder(db: Knex, id: number, onHold: boolean, now: number): Promise<OrderView> {
  const outcome = await setOrderOnHold(db, id, onHold, now);
  if (outcome === 'missing') throw notFound(id);
  const order = (await findOrder(db, id))!;
  if (outcome === 'invoiced') throw invoicedConflict(order);
  return order;
}
