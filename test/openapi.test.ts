/**
 * `/openapi.json`: a valid OpenAPI 3.1 document (checked by an OpenAPI validator from npm) that lists every
 * route the server answers (as fastify prints them), each with its input from the API's own zod schemas and
 * its error answers.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from './support/api.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';

interface Operation {
  summary?: string;
  tags?: string[];
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ in: string; name: string; required?: boolean; schema?: Record<string, unknown> }>;
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { description: string; content?: Record<string, unknown> }>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
}

/** `METHOD /path/:param` from fastify's route tree (printRoutes with common prefixes: one piece per line). */
function routesOf(app: FastifyInstance): Set<string> {
  const routes = new Set<string>();
  const pieces: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: true }).split('\n')) {
    const m = /^((?:[│ ] {3}|[├└]── )*)(\S.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    pieces.length = depth;
    pieces.push(m[2]!);
    for (const method of m[3]?.split(', ') ?? []) if (method !== 'HEAD') routes.add(`${method} ${pieces.join('')}`);
  }
  return routes;
}

/** The same form from the document: `{param}` as `:param`, `{*}` as `*`; `/admin/` is fastify's `/admin` too. */
function operationsOf(doc: Document): Set<string> {
  const out = new Set<string>();
  for (const [path, ops] of Object.entries(doc.paths)) {
    const url = path.replace(/\{\*\}/g, '*').replace(/\{([^}]+)\}/g, ':$1');
    for (const method of Object.keys(ops)) if (method !== 'head') out.add(`${method.toUpperCase()} ${url}`);
  }
  return out;
}

describe('/openapi.json', () => {
  let t: TestDatabase;
  let app: FastifyInstance;
  let doc: Document;

  beforeAll(async () => {
    t = await createTestDatabase('sqlite');
    app = await startApi({ DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir }, t.dataDir);
    // Open to anyone, like /healthz
    const r = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    doc = r.json<Document>();
  });

  afterAll(async () => {
    await app?.close();
    await t?.destroy();
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc as unknown as Record<string, unknown>);
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('lists every route the server answers, and no other', () => {
    const served = routesOf(app);
    // Fastify answers /admin and /admin/ alike; the document lists it once
    served.delete('GET /admin');
    expect(served.size).toBeGreaterThan(30);
    expect([...operationsOf(doc)].sort()).toEqual([...served].sort());
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) expect(op.summary, `${method} ${path}`).not.toBe('Undocumented');
    }
  });

  it('gives every API route its error answers, with the one error body', () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (path.startsWith('/admin')) continue;
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method} ${path}`;
        const statuses = Object.keys(op.responses);
        expect(
          statuses.some((s) => s.startsWith('2')),
          where,
        ).toBe(true);
        if (op.security?.some((s) => 'bearerToken' in s)) expect(statuses, where).toEqual(expect.arrayContaining(['401', '500']));
        if (path.includes('{')) expect(statuses, where).toContain(path.startsWith('/invoices/{number}/credit-notes') ? '400' : '404');
        if (op.requestBody) expect(statuses, where).toEqual(expect.arrayContaining(['400', '413', '415']));
        if (op.parameters?.some((p) => p.in === 'query')) expect(statuses, where).toContain('400');
        for (const status of statuses.filter((s) => Number(s) >= 400)) {
          expect(op.responses[status]!.content, `${where} ${status}`).toEqual({ 'application/json': { schema: { $ref: '#/components/schemas/Error' } } });
        }
      }
    }
    expect(doc.components.schemas.Error).toMatchObject({ type: 'object', required: ['error'] });
    expect(doc.paths['/companies/{code}/integrations/{type}']!.patch!.responses).toHaveProperty('403');
    expect(doc.paths['/orders/{id}']!.patch!.responses).toHaveProperty('409');
  });

  it('takes each route’s input from the zod schemas that validate it', () => {
    const query = (path: string, method = 'get') =>
      Object.fromEntries((doc.paths[path]![method]!.parameters ?? []).filter((p) => p.in === 'query').map((p) => [p.name, p]));
    const body = (path: string, method = 'post') => doc.paths[path]![method]!.requestBody!.content['application/json']!.schema;
    expect(Object.keys(query('/orders')).sort()).toEqual(['company', 'invoiced', 'limit', 'offset', 'orderBy', 'search']);
    expect(query('/orders').invoiced!.schema).toEqual({ type: 'string', enum: ['true', 'false'] });
    expect(query('/invoices').company!.schema).toMatchObject({ type: 'string', pattern: '^[A-Z0-9_-]{1,32}$' });
    expect(Object.keys(query('/credit-notes')).sort()).toEqual(['company', 'invoice', 'limit', 'offset']);
    expect(Object.keys(query('/companies/{code}/runs')).sort()).toEqual(['limit', 'offset']);
    // An order in the import format, with the same limits `load` applies
    const order = body('/orders') as { required: string[]; properties: Record<string, Record<string, unknown>> };
    expect(order.required).toEqual(expect.arrayContaining(['company', 'number', 'status', 'createdAt', 'items']));
    expect(order.properties.items).toMatchObject({ type: 'array', minItems: 1, maxItems: 10_000 });
    const patch = body('/orders/{id}', 'patch') as { required?: string[]; properties: Record<string, unknown> };
    expect(patch.required).toBeUndefined();
    expect(patch.properties).not.toHaveProperty('company');
    expect(Object.keys(body('/companies/{code}/runs').properties as object).sort()).toEqual(['as', 'dryRun', 'from', 'includeErrors']);
    expect(body('/invoices/{number}/credit-notes')).toMatchObject({ additionalProperties: false, properties: { reason: { type: 'string' } } });
    expect(doc.paths['/invoices/{number}/pdf']!.get!.responses['200']!.content).toHaveProperty('application/pdf');
    expect(doc.paths['/metrics']!.get!.security).toEqual([{ bearerToken: [] }]);
    expect(doc.paths['/healthz']!.get!.security).toEqual([]);
    expect(doc.paths['/admin/companies/{code}/runs']!.post!.security).toEqual([{ adminSession: [] }]);
  });
});
