/**
 * Import documents for tests, in the SPEC §6 format.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type ImportDoc = { companies?: Json[]; users?: Json[]; products?: Json[]; orders?: Json[] } & Record<string, Json>;

export const PNG_1x1 = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

export function supplier(code = 'SUPA', extra: Record<string, Json> = {}): Record<string, Json> {
  return {
    code,
    name: `Supplier ${code} Ltd`,
    type: 'supplier',
    parent: null,
    email: `accounts@${code.toLowerCase()}.example`,
    vatNumber: 'GB123456789',
    endpoint: { scheme: '0088', id: '5790000435975' },
    address: { lines: ['1 High St'], city: 'London', postcode: 'N1 1AA', country: 'GB' },
    ...extra,
  };
}

export function dropship(code: string, parent: string, extra: Record<string, Json> = {}): Record<string, Json> {
  return {
    code,
    name: `Retailer ${code} Ltd`,
    type: 'dropship',
    parent,
    timezone: 'Europe/London',
    email: `accounts@${code.toLowerCase()}.example`,
    tradeTier: 'gold',
    vatNumber: 'GB987654321',
    endpoint: { scheme: '0088', id: '5790000435951' },
    address: { lines: ['2 Market St'], city: 'Leeds', postcode: 'LS1 1AA', country: 'GB' },
    invoicing: {
      currency: 'GBP',
      paymentTermsDays: 30,
      paymentDetails: 'Sort code 12-34-56, account 12345678',
      iban: 'GB33BUKB20201555555555',
      bic: 'BUKBGB22',
      logo: PNG_1x1,
      layout: 'combined',
    },
    ...extra,
  };
}

export function order(company: string, number: string, extra: Record<string, Json> = {}): Record<string, Json> {
  return {
    company,
    number,
    source: 'api',
    status: 'dispatched',
    onHold: false,
    hasErrors: false,
    errorText: null,
    uniqueInvoice: false,
    relatingTo: null,
    createdAt: '2026-11-02T10:00:00Z',
    dispatchedAt: '2026-11-03T09:00:00Z',
    currency: 'GBP',
    shippingCost: '4.99',
    items: [{ sku: 'TS-WHT-M', description: 'T-shirt white M', quantity: 2, unitCostPrice: '7.50', taxRate: '20' }],
    ...extra,
  };
}

export function product(sku = 'TS-WHT-M', extra: Record<string, Json> = {}): Record<string, Json> {
  return { sku, name: 'T-shirt white M', taxRate: '20', costPrice: '7.50', tradeTierPrices: { gold: '6.90' }, ...extra };
}

/** The SPEC §6 example, a little larger. */
export function baseDataset(): ImportDoc {
  return {
    companies: [supplier('SUPA', { sequence: { prefix: 'SUPA-', padding: 6, next: 1 } }), dropship('RETB', 'SUPA')],
    users: [{ email: 'ann@supplier-a.example', name: 'Ann Admin', primaryCompany: 'SUPA' }],
    products: [product()],
    orders: [order('RETB', 'B-1001'), order('RETB', 'B-1002', { shippingCost: '0.00' })],
  };
}

export function writeJson(doc: unknown, name = 'data.json'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oms-fixture-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return file;
}

export const clone = <T>(v: T): T => structuredClone(v);
