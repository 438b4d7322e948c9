/**
 * The import format of SPEC §6 as a zod schema: the shape of each record and every rule that can be
 * checked on a value alone. Rules that need other records or the database live in validate-import.ts.
 */
import { z } from 'zod';
import { parseAmount, parseTaxRate, parseUnitPrice } from '../domain/money.js';
import {
  BIC,
  CODE,
  EMAIL,
  invalidAddressList,
  isCleanMultiLine,
  isCountry,
  isCurrency,
  isSingleLine,
  isValidDate,
  isValidIban,
  parseInstant,
} from '../domain/text-rules.js';
import { parseLogoDataUri } from '../domain/logo.js';
import { parseScheduleText } from './schedule-text.js';
// The scheduler's own rule, so that every zone an import accepts is one the scheduler can run in
import { isValidTimezone } from '../domain/schedule.js';

const singleLine = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .max(max, { error: `must be at most ${max} characters` })
    .refine(isSingleLine, { error: 'must be one line of text, without line breaks or control characters' });

const nonEmptyLine = (max: number) => singleLine(max).refine((s) => s.trim() !== '', { error: 'must not be empty' });

const multiLine = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .max(max, { error: `must be at most ${max} characters` })
    .refine(isCleanMultiLine, { error: 'must not contain control characters' });

const code = z.string({ error: 'must be a string' }).regex(CODE, { error: 'must be 1–32 characters from A–Z, 0–9, _ and -' });

const email = z.string({ error: 'must be a string' }).max(254, { error: 'must be at most 254 characters' }).regex(EMAIL, { error: 'must be an email address' });

const addressList = z.string({ error: 'must be a string' }).superRefine((s, ctx) => {
  const problem = invalidAddressList(s);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const decimal = (what: string, parse: (s: string) => number | null, example: string) =>
  z
    .string({ error: `must be a decimal string like "${example}"` })
    .refine((s) => parse(s) !== null, { error: `must be a non-negative ${what} like "${example}"` });

export const amountText = decimal('amount with at most 2 decimals', parseAmount, '4.99');
export const unitPriceText = decimal('price with at most 4 decimals', parseUnitPrice, '7.5000');
export const taxRateText = decimal('percentage from 0 to 100 with at most 2 decimals', parseTaxRate, '20');

const currency = z.string({ error: 'must be a string' }).refine(isCurrency, { error: 'must be an ISO 4217 currency code like "GBP"' });
const timezone = z.string({ error: 'must be a string' }).refine(isValidTimezone, { error: 'must be an IANA time zone like "Europe/London"' });
const instant = z.string({ error: 'must be an ISO 8601 date-time string' }).refine((s) => parseInstant(s) !== null, {
  error: 'must be an ISO 8601 date-time with a time zone, like "2026-11-02T10:00:00Z"',
});
const dateOrInstant = z.string({ error: 'must be a string' }).refine((s) => isValidDate(s) || parseInstant(s) !== null, {
  error: 'must be a date like "2026-01-01" or a date-time like "2026-01-01T00:00:00Z"',
});

const bool = z.boolean({ error: 'must be true or false' });

const address = z.strictObject(
  {
    lines: z.array(singleLine(255), { error: 'must be an array of strings' }).max(5, { error: 'must have at most 5 lines' }),
    city: nonEmptyLine(128),
    postcode: singleLine(32).optional().default(''),
    country: z.string({ error: 'must be a string' }).refine(isCountry, { error: 'must be an ISO 3166-1 alpha-2 country code like "GB"' }),
  },
  { error: 'must be an object' },
);

const endpoint = z.strictObject(
  {
    scheme: z.string({ error: 'must be a string' }).regex(/^\d{4}$/, { error: 'must be a 4-digit Peppol EAS code like "0088"' }),
    id: nonEmptyLine(128).refine((s) => !/\s/.test(s), { error: 'must not contain spaces' }),
  },
  { error: 'must be an object' },
);

const invoicing = z.strictObject(
  {
    currency: currency.optional(),
    paymentTermsDays: z
      .number({ error: 'must be a whole number of days' })
      .int({ error: 'must be a whole number of days' })
      .min(0, { error: 'must be 0 or more' })
      .max(365, { error: 'must be at most 365' })
      .optional(),
    paymentDetails: multiLine(2000).nullable().optional(),
    iban: z.string({ error: 'must be a string' }).refine(isValidIban, { error: 'must be a valid IBAN in capitals without spaces' }).nullable().optional(),
    bic: z.string({ error: 'must be a string' }).regex(BIC, { error: 'must be a BIC like "BUKBGB22"' }).nullable().optional(),
    logo: z
      .string({ error: 'must be a string' })
      .max(2_000_000, { error: 'must be at most 2,000,000 characters (a logo of about 1.5 MB)' })
      .superRefine((s, ctx) => {
        const result = parseLogoDataUri(s);
        if (typeof result === 'string') ctx.addIssue({ code: 'custom', message: result });
      })
      .nullable()
      .optional(),
    layout: z.enum(['combined', 'individual'], { error: 'must be "combined" or "individual"' }).optional(),
  },
  { error: 'must be an object' },
);

const sequence = z.strictObject(
  {
    prefix: z
      .string({ error: 'must be a string' })
      .regex(/^[A-Za-z0-9_./-]{0,24}$/, { error: 'must be up to 24 characters from A–Z, a–z, 0–9, _ . / -' })
      .optional(),
    padding: z
      .number({ error: 'must be a whole number' })
      .int({ error: 'must be a whole number' })
      .min(1, { error: 'must be from 1 to 18' })
      .max(18, { error: 'must be from 1 to 18' })
      .optional(),
    next: z
      .number({ error: 'must be a whole number' })
      .int({ error: 'must be a whole number' })
      .min(1, { error: 'must be 1 or more' })
      .max(999_999_999_999, { error: 'must be at most 999999999999' })
      .optional(),
    /** The prefix of the owner's credit-note numbers (SPEC §8); default: the owner's code + "-CN-" */
    creditNotePrefix: z
      .string({ error: 'must be a string' })
      .regex(/^[A-Za-z0-9_./-]{1,24}$/, { error: 'must be 1 to 24 characters from A–Z, a–z, 0–9, _ . / -' })
      .optional(),
  },
  { error: 'must be an object' },
);

const schedule = z
  .string({ error: 'must be a string' })
  .superRefine((s, ctx) => {
    const problem = parseScheduleText(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .nullable()
  .optional();

const integrationCommon = {
  enabled: bool.optional().default(false),
  includeOrdersWithErrors: bool.optional().default(false),
  startingFrom: dateOrInstant.nullable().optional(),
  schedule,
  nextInvoiceAt: instant.nullable().optional(),
};

const pdfEmailer = z.strictObject({
  type: z.literal('pdf-emailer'),
  ...integrationCommon,
  emailTo: addressList,
  emailBcc: addressList.nullable().optional(),
});

const SFTP_TARGET = /^sftp:\/\/([^@/\s:]+)@([^/\s:]+|\[[0-9a-fA-F:]+\])(?::(\d{1,5}))?(\/[^\s]*)$/;
const FILE_TARGET = /^file:\/\/(\/[^\s]*)$/;

const xmlSftp = z
  .strictObject({
    type: z.literal('xml-sftp'),
    ...integrationCommon,
    target: z.string({ error: 'must be a string' }).refine((s) => SFTP_TARGET.test(s) || FILE_TARGET.test(s), {
      error: 'must be sftp://user@host:port/absolute/dir or file:///absolute/dir',
    }),
    privateKeyFile: singleLine(1024).nullable().optional(),
    passwordEnv: z
      .string({ error: 'must be a string' })
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, { error: 'must be the name of an environment variable' })
      .nullable()
      .optional(),
    hostKeySha256: z
      .string({ error: 'must be a string' })
      .regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, { error: 'must be a host key fingerprint like "SHA256:…" (ssh-keygen -lf)' })
      .nullable()
      .optional(),
    includePdf: bool.optional().default(false),
  })
  .superRefine((v, ctx) => {
    if (!v.target.startsWith('sftp:')) return;
    if (!v.hostKeySha256) {
      ctx.addIssue({ code: 'custom', path: ['hostKeySha256'], message: 'is required for sftp targets (the server host key is pinned)' });
    }
    if (!v.privateKeyFile && !v.passwordEnv) {
      ctx.addIssue({ code: 'custom', path: ['privateKeyFile'], message: 'sftp targets need privateKeyFile or passwordEnv' });
    }
  });

export const integrationSchema = z.discriminatedUnion('type', [pdfEmailer, xmlSftp], {
  error: 'must be an integration with "type" "pdf-emailer" or "xml-sftp"',
});

export const companySchema = z.strictObject(
  {
    code,
    name: nonEmptyLine(255),
    type: z.enum(['admin', 'supplier', 'dropship', 'self_fulfilment'], {
      error: 'must be one of admin, supplier, dropship, self_fulfilment',
    }),
    parent: code.nullable().optional(),
    timezone: timezone.optional(),
    email: email.nullable().optional(),
    tradeTier: nonEmptyLine(64).nullable().optional(),
    vatNumber: z
      .string({ error: 'must be a string' })
      .regex(/^[A-Za-z0-9]{2,32}$/, { error: 'must be 2–32 letters and digits, without spaces' })
      .nullable()
      .optional(),
    endpoint: endpoint.nullable().optional(),
    address: address.nullable().optional(),
    sharedSequence: bool.optional(),
    pricingStrategy: nonEmptyLine(64).optional(),
    invoicing: invoicing.nullable().optional(),
    sequence: sequence.nullable().optional(),
    integrations: z.array(integrationSchema, { error: 'must be an array' }).max(20).optional(),
  },
  { error: 'must be an object' },
);

export const userSchema = z.strictObject(
  {
    email,
    name: nonEmptyLine(255),
    primaryCompany: code.nullable().optional(),
  },
  { error: 'must be an object' },
);

export const productSchema = z.strictObject(
  {
    sku: nonEmptyLine(64),
    name: nonEmptyLine(255),
    taxRate: taxRateText,
    costPrice: unitPriceText.nullable().optional(),
    tradeTierPrices: z.record(z.string().max(64).refine(isSingleLine), unitPriceText, { error: 'must be an object of tier → price' }).optional(),
  },
  { error: 'must be an object' },
);

const item = z.strictObject(
  {
    sku: nonEmptyLine(64),
    description: singleLine(1000).nullable().optional(),
    quantity: z
      .number({ error: 'must be a positive whole number' })
      .int({ error: 'must be a positive whole number' })
      .min(1, { error: 'must be a positive whole number' })
      .max(1_000_000, { error: 'must be at most 1,000,000' }),
    unitCostPrice: unitPriceText.nullable().optional(),
    taxRate: taxRateText.nullable().optional(),
  },
  { error: 'must be an object' },
);

export const orderSchema = z.strictObject(
  {
    company: code,
    number: nonEmptyLine(64),
    source: z.enum(['api', 'integration', 'pos'], { error: 'must be one of api, integration, pos' }).optional().default('api'),
    status: z.enum(['under_review', 'processing', 'dispatched', 'completed', 'cancelled'], {
      error: 'must be one of under_review, processing, dispatched, completed, cancelled',
    }),
    onHold: bool.optional().default(false),
    hasErrors: bool.optional().default(false),
    errorText: multiLine(10_000).nullable().optional(),
    uniqueInvoice: bool.optional().default(false),
    relatingTo: singleLine(255).nullable().optional(),
    createdAt: instant,
    dispatchedAt: instant.nullable().optional(),
    currency: currency.optional(),
    shippingCost: amountText.optional().default('0'),
    items: z
      .array(item, { error: 'must be an array of items' })
      .min(1, { error: 'must have at least one item' })
      .max(10_000, { error: 'must have at most 10,000 items' }),
  },
  { error: 'must be an object' },
);

export const importFileSchema = z.strictObject(
  {
    companies: z.array(companySchema, { error: 'must be an array' }).optional().default([]),
    users: z.array(userSchema, { error: 'must be an array' }).optional().default([]),
    products: z.array(productSchema, { error: 'must be an array' }).optional().default([]),
    orders: z.array(orderSchema, { error: 'must be an array' }).optional().default([]),
  },
  { error: 'must be a JSON object with any of companies, users, products, orders' },
);

export type CompanyInput = z.infer<typeof companySchema>;
export type UserInput = z.infer<typeof userSchema>;
export type ProductInput = z.infer<typeof productSchema>;
export type OrderInput = z.infer<typeof orderSchema>;
export type ItemInput = OrderInput['items'][number];
export type IntegrationInput = z.infer<typeof integrationSchema>;
export type ImportFile = z.infer<typeof importFileSchema>;
