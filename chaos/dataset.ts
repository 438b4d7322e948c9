/**
 * What the chaos suite invoices: an admin company over two suppliers with four dropship companies each,
 * every dropship emailing its invoices (SMTP), uploading them over SFTP, or both, to three folders on
 * one OpenSSH server, one of them on a small disk that a fault fills. Three users, whose manual runs number
 * from three sequences (SUPA, SUPB, ADM). Orders arrive in small loads, round after round.
 */
import type { Random } from './random.js';

export interface SftpFolders {
  /** Absolute paths on the SFTP server (the same machine) */
  a: string;
  b: string;
  /** On a small file system that the disk-full fault fills */
  full: string;
}

export interface SftpAccess {
  url(dir: string): string;
  privateKeyPath: string;
  hostKeySha256: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export const USERS = ['ann@supa.example', 'bob@supb.example', 'cat@adm.example'] as const;

/** The dropship companies, and where each delivers */
export const DROPSHIPS: ReadonlyArray<{
  code: string;
  parent: 'SUPA' | 'SUPB';
  email: boolean;
  sftp: { folder: keyof SftpFolders; includePdf: boolean } | null;
}> = [
  { code: 'RA1', parent: 'SUPA', email: true, sftp: { folder: 'a', includePdf: true } },
  { code: 'RA2', parent: 'SUPA', email: true, sftp: null },
  { code: 'RA3', parent: 'SUPA', email: false, sftp: { folder: 'full', includePdf: true } },
  { code: 'RA4', parent: 'SUPA', email: true, sftp: { folder: 'b', includePdf: false } },
  { code: 'RB1', parent: 'SUPB', email: true, sftp: null },
  { code: 'RB2', parent: 'SUPB', email: true, sftp: { folder: 'a', includePdf: false } },
  { code: 'RB3', parent: 'SUPB', email: false, sftp: { folder: 'full', includePdf: false } },
  { code: 'RB4', parent: 'SUPB', email: true, sftp: { folder: 'b', includePdf: true } },
];

const address = (line: string): Json => ({ lines: [line], city: 'London', postcode: 'N1 1AA', country: 'GB' });

function company(code: string, type: string, parent: string | null): Record<string, Json> {
  return {
    code,
    name: `${code} Trading Ltd`,
    type,
    parent,
    email: `accounts@${code.toLowerCase()}.example`,
    vatNumber: 'GB123456789',
    endpoint: { scheme: '0088', id: '5790000435975' },
    address: address(`${code.length} High St`),
  };
}

/** Companies, users and the product, with every integration due at `firstRunAt` and hourly after */
export function baseDataset(folders: SftpFolders, sftp: SftpAccess, firstRunAt: string): Json {
  const integrations = (d: (typeof DROPSHIPS)[number]): Json[] => {
    const out: Json[] = [];
    const common = { enabled: true, schedule: 'hourly', nextInvoiceAt: firstRunAt };
    if (d.email) out.push({ type: 'pdf-emailer', ...common, emailTo: `ap@${d.code.toLowerCase()}.example`, emailBcc: 'archive@chaos.example' });
    if (d.sftp) {
      out.push({
        type: 'xml-sftp',
        ...common,
        target: sftp.url(folders[d.sftp.folder]),
        privateKeyFile: sftp.privateKeyPath,
        hostKeySha256: sftp.hostKeySha256,
        includePdf: d.sftp.includePdf,
      });
    }
    return out;
  };
  return {
    companies: [
      company('ADM', 'admin', null),
      company('SUPA', 'supplier', 'ADM'),
      company('SUPB', 'supplier', 'ADM'),
      ...DROPSHIPS.map((d) => ({
        ...company(d.code, 'dropship', d.parent),
        timezone: 'Europe/London',
        invoicing: {
          currency: 'GBP',
          paymentTermsDays: 30,
          paymentDetails: 'Sort code 12-34-56',
          iban: 'GB33BUKB20201555555555',
          bic: 'BUKBGB22',
          layout: 'combined',
        },
        integrations: integrations(d),
      })),
    ],
    users: [
      { email: USERS[0], name: 'Ann', primaryCompany: 'SUPA' },
      { email: USERS[1], name: 'Bob', primaryCompany: 'SUPB' },
      { email: USERS[2], name: 'Cat', primaryCompany: 'ADM' },
    ],
    products: [{ sku: 'TS', name: 'T-shirt', taxRate: '20', costPrice: '7.50' }],
  };
}

export interface OrderRef {
  company: string;
  number: string;
}

/** A load of `count` new orders for random dropships, created a day before `now` (so every run sees them) */
export function orderBatch(random: Random, tag: string, count: number, now: number): { doc: Json; orders: OrderRef[] } {
  const createdAt = new Date(now - 24 * 3600_000).toISOString();
  const orders = Array.from({ length: count }, (_, i) => {
    const company = random.pick(DROPSHIPS).code;
    const items: Json[] = Array.from({ length: random.int(1, 2) }, (_, j) => ({
      sku: 'TS',
      description: `T-shirt ${j + 1}`,
      quantity: random.int(1, 5),
      unitCostPrice: `${random.int(1, 40)}.${String(random.int(0, 99)).padStart(2, '0')}`,
      taxRate: random.pick(['20', '5', '0']),
    }));
    return {
      company,
      number: `${tag}-${i}`,
      status: random.pick(['dispatched', 'completed']),
      uniqueInvoice: random.chance(0.2),
      createdAt,
      shippingCost: random.pick(['0', '4.99']),
      items,
    };
  });
  return { doc: { orders }, orders: orders.map((o) => ({ company: o.company, number: o.number })) };
}
