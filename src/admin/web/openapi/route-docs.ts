/**
 * What `/openapi.json` says of each route the server answers: a summary, who may call it, its input (from
 * the same zod schemas that validate the API) and its answers, errors included. A route missing here is
 * listed as undocumented (the OpenAPI test refuses that).
 */
import { orderSchema } from '../../../import/import-schema.js';
import { integrationSchema } from '../../../import/import-schema.js';
import { creditNoteBody, listQuery as creditNotesQuery } from '../../http/credit-notes.js';
import { listQuery as invoicesQuery } from '../../http/invoices.js';
import { listQuery as ordersQuery } from '../../http/orders.js';
import { runBody, runsQuery } from '../../http/runs.js';
import { toJsonSchema, withoutRequired, type JsonSchema } from './json-schema.js';

type Auth = 'token' | 'admin-token' | 'session' | 'none';
type Answer = 'json' | 'pdf' | 'xml' | 'html' | 'metrics' | 'redirect' | 'file';

export interface RouteDoc {
  summary: string;
  tag: 'Orders' | 'Companies' | 'Runs' | 'Invoices' | 'Credit notes' | 'Operations' | 'Admin page';
  auth: Auth;
  params?: Record<string, string>;
  query?: JsonSchema;
  body?: JsonSchema;
  /** Success answers by status: what they carry and a description */
  answers: Record<number, { answer: Answer; description: string }>;
  errors: number[];
}

const ERROR_TEXT: Record<number, string> = {
  400: 'Bad input: each problem with the JSON path of its field or query parameter; nothing was written',
  401: 'No API token, or an unknown, revoked or expired one',
  403: 'A field only an admin token may set',
  404: 'Unknown, or outside the token’s scope (answered alike)',
  409: 'Conflicts with stored state (an invoiced order is immutable)',
  413: 'The body is larger than this route accepts',
  415: 'The body is not JSON',
  500: 'Anything else; the details are in the server log only',
  503: 'The database does not answer',
};

export const errorText = (status: number): string => ERROR_TEXT[status] ?? 'Error';

const PAGE_ERROR_TEXT: Record<number, string> = {
  400: 'Bad input, explained on the page',
  401: 'The token is not valid',
  403: 'A form without a valid CSRF token, or from another site',
  404: 'Unknown, or outside the signed-in token’s scope (answered alike)',
  500: 'Anything else; the details are in the server log only',
};

/** The admin page answers errors with an HTML page. */
export const pageErrorText = (status: number): string => PAGE_ERROR_TEXT[status] ?? 'Error';

/** `{ error: { code, message, problems: [{ path, message }] } }`, the API's every error answer. */
export const ERROR_BODY: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'problems'],
      properties: {
        code: { type: 'string', enum: ['INPUT', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'DELIVERY', 'INTERNAL'] },
        message: { type: 'string' },
        problems: {
          type: 'array',
          items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } },
        },
      },
    },
  },
};

const json = (description: string) => ({ answer: 'json' as const, description });
const API = [401, 500];
const WITH_BODY = [400, 413, 415];
const code = { code: 'company code' };
const number = { number: 'invoice number' };

/** An order's fields as PATCH takes them: any import-format field but `company` and `number` (which name it). */
const orderPatch = (() => {
  const schema = withoutRequired(toJsonSchema(orderSchema));
  const properties = { ...(schema.properties as Record<string, unknown>) };
  delete properties.company;
  delete properties.number;
  return { ...schema, properties };
})();

const api: Array<[string, string, RouteDoc]> = [
  [
    'GET',
    '/orders',
    {
      summary: 'Orders, newest first (`orders list`)',
      tag: 'Orders',
      auth: 'token',
      query: toJsonSchema(ordersQuery),
      answers: { 200: json('`{ items, count }`') },
      errors: [400, ...API],
    },
  ],
  [
    'POST',
    '/orders',
    {
      summary: 'Create an order, or replace the open order with the same company and number (as `load`)',
      tag: 'Orders',
      auth: 'token',
      body: toJsonSchema(orderSchema),
      answers: { 201: json('Created'), 200: json('Replaced') },
      errors: [...WITH_BODY, 409, ...API],
    },
  ],
  [
    'GET',
    '/orders/:id',
    { summary: 'One order', tag: 'Orders', auth: 'token', params: { id: 'order id' }, answers: { 200: json('The order') }, errors: [404, ...API] },
  ],
  [
    'PATCH',
    '/orders/:id',
    {
      summary: 'Change an open order (`items` replaces all items)',
      tag: 'Orders',
      auth: 'token',
      params: { id: 'order id' },
      body: orderPatch,
      answers: { 200: json('The order as stored') },
      errors: [...WITH_BODY, 404, 409, ...API],
    },
  ],
  [
    'POST',
    '/orders/:id/hold',
    {
      summary: 'Put an open order on hold',
      tag: 'Orders',
      auth: 'token',
      params: { id: 'order id' },
      answers: { 200: json('The order') },
      errors: [404, 409, ...API],
    },
  ],
  [
    'POST',
    '/orders/:id/release',
    {
      summary: 'Release an order from hold',
      tag: 'Orders',
      auth: 'token',
      params: { id: 'order id' },
      answers: { 200: json('The order') },
      errors: [404, 409, ...API],
    },
  ],
  [
    'GET',
    '/companies',
    { summary: 'The companies the token sees', tag: 'Companies', auth: 'token', answers: { 200: json('`{ items, count }`') }, errors: API },
  ],
  [
    'GET',
    '/companies/:code',
    {
      summary: 'One company with its sequence and integrations (settings, and the scheduler’s `state`)',
      tag: 'Companies',
      auth: 'token',
      params: code,
      answers: { 200: json('The company') },
      errors: [404, ...API],
    },
  ],
  [
    'PATCH',
    '/companies/:code/integrations/:type',
    {
      summary: 'Change (or add) an integration: the fields given are merged into the stored ones (`null` clears) and checked as `load` checks them',
      tag: 'Companies',
      auth: 'token',
      params: { ...code, type: 'pdf-emailer or xml-sftp' },
      body: withoutRequired(toJsonSchema(integrationSchema)),
      answers: { 200: json('The integration as stored') },
      errors: [...WITH_BODY, 403, 404, ...API],
    },
  ],
  [
    'POST',
    '/companies/:code/runs',
    {
      summary: 'Run a company now: a manual run as a user (`run --company C --as EMAIL`), else its enabled integrations (`run --company C`)',
      tag: 'Runs',
      auth: 'token',
      params: code,
      body: toJsonSchema(runBody),
      answers: { 200: json('The run report (`run --json`)') },
      errors: [...WITH_BODY, 404, ...API],
    },
  ],
  [
    'GET',
    '/companies/:code/runs',
    {
      summary: 'The company’s run history, newest first',
      tag: 'Runs',
      auth: 'token',
      params: code,
      query: toJsonSchema(runsQuery),
      answers: { 200: json('`{ items, count }`') },
      errors: [400, 404, ...API],
    },
  ],
  [
    'GET',
    '/invoices',
    {
      summary: 'Invoices (`invoices list --json`)',
      tag: 'Invoices',
      auth: 'token',
      query: toJsonSchema(invoicesQuery),
      answers: { 200: json('`{ items, count }`') },
      errors: [400, ...API],
    },
  ],
  [
    'GET',
    '/invoices/:number',
    {
      summary: 'One invoice with its lines and credit notes (`invoices show --json`)',
      tag: 'Invoices',
      auth: 'token',
      params: number,
      answers: { 200: json('The invoice') },
      errors: [404, ...API],
    },
  ],
  [
    'GET',
    '/invoices/:number/pdf',
    {
      summary: 'The invoice’s PDF, byte-identical to what was delivered',
      tag: 'Invoices',
      auth: 'token',
      params: number,
      answers: { 200: { answer: 'pdf', description: 'The PDF' } },
      errors: [404, ...API],
    },
  ],
  [
    'GET',
    '/invoices/:number/xml',
    {
      summary: 'The invoice’s UBL XML, byte-identical to what was delivered',
      tag: 'Invoices',
      auth: 'token',
      params: number,
      answers: { 200: { answer: 'xml', description: 'The UBL 2.1 invoice' } },
      errors: [404, ...API],
    },
  ],
  [
    'POST',
    '/invoices/:number/credit-notes',
    {
      summary: 'Credit all or part of an invoice (SPEC §8)',
      tag: 'Credit notes',
      auth: 'token',
      params: number,
      body: toJsonSchema(creditNoteBody),
      answers: { 201: json('The credit note, delivered'), 200: json('What would be credited (`dryRun`)') },
      errors: [...WITH_BODY, 409, ...API],
    },
  ],
  [
    'GET',
    '/credit-notes',
    {
      summary: 'Credit notes (`credit-notes list --json`)',
      tag: 'Credit notes',
      auth: 'token',
      query: toJsonSchema(creditNotesQuery),
      answers: { 200: json('`{ items, count }`') },
      errors: [400, ...API],
    },
  ],
  [
    'GET',
    '/credit-notes/:number/pdf',
    {
      summary: 'The credit note’s PDF',
      tag: 'Credit notes',
      auth: 'token',
      params: { number: 'credit note number' },
      answers: { 200: { answer: 'pdf', description: 'The PDF' } },
      errors: [404, ...API],
    },
  ],
  [
    'GET',
    '/credit-notes/:number/xml',
    {
      summary: 'The credit note’s UBL XML',
      tag: 'Credit notes',
      auth: 'token',
      params: { number: 'credit note number' },
      answers: { 200: { answer: 'xml', description: 'The UBL 2.1 credit note' } },
      errors: [404, ...API],
    },
  ],
  [
    'GET',
    '/healthz',
    { summary: 'Whether the database answers', tag: 'Operations', auth: 'none', answers: { 200: json('`{ status: "ok", database: "up" }`') }, errors: [503] },
  ],
  [
    'GET',
    '/metrics',
    {
      summary: 'Prometheus metrics, counted in the database at each scrape (admin token only)',
      tag: 'Operations',
      auth: 'admin-token',
      answers: { 200: { answer: 'metrics', description: 'Prometheus text format 0.0.4' } },
      errors: [404, ...API],
    },
  ],
  ['GET', '/openapi.json', { summary: 'This document', tag: 'Operations', auth: 'none', answers: { 200: json('OpenAPI 3.1') }, errors: [500] }],
];

const page = (summary: string, answers: RouteDoc['answers'], errors: number[] = [404, 500], extra: Partial<RouteDoc> = {}): RouteDoc => ({
  summary,
  tag: 'Admin page',
  auth: 'session',
  answers,
  errors,
  ...extra,
});
const html = (description: string) => ({ answer: 'html' as const, description });
const redirect = (description: string) => ({ answer: 'redirect' as const, description });
const SIGNED_OUT = { 303: redirect('Not signed in: to the sign-in form') };
const FORM = {
  body: { type: 'object', properties: { _csrf: { type: 'string', description: 'the CSRF token of the page the form is on' } }, required: ['_csrf'] },
};

/** The admin page (HTML, signed in with a session cookie; see docs/admin-page.md). */
const adminPage: Array<[string, string, RouteDoc]> = [
  [
    'GET',
    '/admin',
    page('The admin page: to the companies, or to the sign-in form', { 303: redirect('To /admin/companies or /admin/sign-in') }, [500], { auth: 'none' }),
  ],
  [
    'GET',
    '/admin/',
    page('The admin page: to the companies, or to the sign-in form', { 303: redirect('To /admin/companies or /admin/sign-in') }, [500], { auth: 'none' }),
  ],
  [
    'GET',
    '/admin/sign-in',
    page('The sign-in form (a field `Token`, a button `Sign in`)', { 200: html('The form'), 303: redirect('Signed in already') }, [500], { auth: 'none' }),
  ],
  [
    'POST',
    '/admin/sign-in',
    page('Sign in with an API token: opens a session (an HttpOnly, SameSite=Strict cookie)', { 303: redirect('Signed in') }, [400, 401, 403, 500], {
      auth: 'none',
      body: { type: 'object', properties: { _csrf: { type: 'string' }, token: { type: 'string' }, next: { type: 'string' } }, required: ['_csrf', 'token'] },
    }),
  ],
  ['POST', '/admin/sign-out', page('Sign out: the session ends on the server', { 303: redirect('To the sign-in form') }, [403, 500], FORM)],
  ['GET', '/admin/companies', page('The company tree with schedules, runs and open orders', { 200: html('The page'), ...SIGNED_OUT }, [500])],
  [
    'GET',
    '/admin/companies/:code',
    page('A company, with `Preview run` and `Run now`', { 200: html('The page'), ...SIGNED_OUT }, [404, 500], { params: code }),
  ],
  [
    'GET',
    '/admin/companies/:code/preview',
    page('What a run would invoice now, writing nothing', { 200: html('The preview'), ...SIGNED_OUT }, [400, 404, 500], { params: code }),
  ],
  [
    'POST',
    '/admin/companies/:code/runs',
    page('Run the company now and show the report', { 200: html('The run report'), ...SIGNED_OUT }, [400, 403, 404, 500], { params: code, ...FORM }),
  ],
  [
    'GET',
    '/admin/invoices',
    page('Invoices, newest first, filtered by company, status and failed delivery', { 200: html('The page'), ...SIGNED_OUT }, [400, 500], {
      query: {
        type: 'object',
        properties: {
          company: { type: 'string' },
          status: { type: 'string', enum: ['', 'issued', 'partially_credited', 'credited'] },
          delivery: { type: 'string', enum: ['', 'failed'] },
          page: { type: 'string', pattern: '^\\d+$' },
        },
      },
    }),
  ],
  [
    'GET',
    '/admin/invoices/:number',
    page(
      'An invoice: its PDF in the page, `Download XML`, lines, credit notes, deliveries and each attempt',
      { 200: html('The page'), ...SIGNED_OUT },
      [404, 500],
      { params: number },
    ),
  ],
  [
    'GET',
    '/admin/invoices/:number/pdf',
    page('The invoice’s PDF, shown in the page', { 200: { answer: 'pdf', description: 'The PDF (inline)' }, ...SIGNED_OUT }, [404, 500], { params: number }),
  ],
  [
    'GET',
    '/admin/invoices/:number/xml',
    page('The invoice’s UBL XML, downloaded', { 200: { answer: 'xml', description: 'The XML (attachment)' }, ...SIGNED_OUT }, [404, 500], { params: number }),
  ],
  [
    'GET',
    '/admin/invoices/:number/credit-note',
    page(
      'The form that issues a credit note for the invoice: `Reason`, optional orders and units per line',
      { 200: html('The form'), ...SIGNED_OUT },
      [404, 500],
      {
        params: number,
      },
    ),
  ],
  [
    'POST',
    '/admin/invoices/:number/credit-notes',
    page(
      'Issue (or, with `dryRun`, preview) a credit note for the invoice (`credit-notes create`)',
      { 200: html('The form with the preview'), 303: redirect('Issued: back to the invoice'), 400: html('The form with what was refused') },
      [403, 404, 500],
      { params: number, ...FORM },
    ),
  ],
  [
    'GET',
    '/admin/credit-notes/:number/pdf',
    page('A credit note’s PDF', { 200: { answer: 'pdf', description: 'The PDF (inline)' }, ...SIGNED_OUT }, [404, 500], { params: number }),
  ],
  [
    'GET',
    '/admin/credit-notes/:number/xml',
    page('A credit note’s UBL XML, downloaded', { 200: { answer: 'xml', description: 'The XML (attachment)' }, ...SIGNED_OUT }, [404, 500], { params: number }),
  ],
  ['GET', '/admin/deliveries/failed', page('Failed deliveries across companies, the most recent first', { 200: html('The page'), ...SIGNED_OUT }, [400, 500])],
  [
    'POST',
    '/admin/deliveries/:id/retry',
    page('Send a failed delivery again now (`deliveries retry ID`)', { 303: redirect('Back to the invoice or the queue') }, [400, 403, 404, 500], {
      params: { id: 'delivery id' },
      ...FORM,
    }),
  ],
  ['GET', '/admin/assets/*', page('The page’s stylesheet, script and icon', { 200: { answer: 'file', description: 'The file' } }, [404], { auth: 'none' })],
  ['GET', '/admin/*', page('Any other address under /admin: a page that does not exist', { 303: redirect('Not signed in: to the sign-in form') }, [404])],
  ['POST', '/admin/*', page('Any other address under /admin: a page that does not exist', { 303: redirect('Not signed in: to the sign-in form') }, [403, 404])],
];

const byRoute = new Map([...api, ...adminPage].map(([method, url, doc]) => [`${method} ${url}`, doc]));

export const findRouteDoc = (method: string, url: string): RouteDoc | undefined => byRoute.get(`${method} ${url}`);
