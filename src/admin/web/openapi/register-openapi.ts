/**
 * `/openapi.json`: the API (and every other route `serve` answers) as OpenAPI 3.1, built by @fastify/swagger
 * from the routes as they are registered, with each route's input taken from the zod schemas that
 * validate it and its answers, errors included, from route-docs.ts. Open to anyone, like `/healthz`.
 */
import { fastifySwagger } from '@fastify/swagger';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { ERROR_BODY, errorText, findRouteDoc, pageErrorText, type RouteDoc } from './route-docs.js';

const ERROR_SCHEMA_ID = 'Error';
import type { JsonSchema } from './json-schema.js';

const CONTENT: Record<string, string> = { pdf: 'application/pdf', xml: 'application/xml', html: 'text/html', metrics: 'text/plain' };

function answerSchema(answer: RouteDoc['answers'][number]): JsonSchema {
  if (answer.answer === 'json') return { description: answer.description, type: 'object', additionalProperties: true };
  if (answer.answer === 'redirect') return { description: answer.description, type: 'null' };
  if (answer.answer === 'file') {
    const file = { schema: { type: 'string' } };
    return { description: answer.description, content: { 'text/css': file, 'text/javascript': file, 'image/svg+xml': file } };
  }
  const format = answer.answer === 'pdf' ? { format: 'binary' } : {};
  return { description: answer.description, content: { [CONTENT[answer.answer]!]: { schema: { type: 'string', ...format } } } };
}

function routeSchema(doc: RouteDoc): FastifySchema {
  const page = doc.tag === 'Admin page';
  const response: Record<string, JsonSchema> = {};
  for (const [status, answer] of Object.entries(doc.answers)) response[status] = answerSchema(answer);
  for (const status of doc.errors) {
    response[String(status)] = page
      ? { description: pageErrorText(status), content: { 'text/html': { schema: { type: 'string' } } } }
      : { description: errorText(status), $ref: `${ERROR_SCHEMA_ID}#` };
  }
  const security = doc.auth === 'none' ? [] : doc.auth === 'session' ? [{ adminSession: [] }] : [{ bearerToken: [] }];
  const params = doc.params
    ? {
        params: {
          type: 'object',
          properties: Object.fromEntries(Object.entries(doc.params).map(([name, description]) => [name, { type: 'string', description }])),
          required: Object.keys(doc.params),
        },
      }
    : {};
  return {
    summary: doc.summary,
    tags: [doc.tag],
    security,
    ...params,
    ...(doc.query ? { querystring: doc.query } : {}),
    ...(doc.body ? { body: doc.body, ...(page ? { consumes: ['application/x-www-form-urlencoded'] } : {}) } : {}),
    response,
  };
}

/**
 * Must run before any route is registered: @fastify/swagger collects routes as they are added, and the
 * API's routes are added at once, before a plugin registered the usual way (deferred) would load. Its
 * dynamic mode sets up synchronously, so it is called here directly.
 */
export function registerOpenApi(app: FastifyInstance): void {
  fastifySwagger(
    app,
    {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'oms-invoicing',
          version: '1',
          description:
            'The HTTP API of oms-invoicing (README "HTTP API"), plus health, metrics and the admin page. Amounts are decimal strings, times UTC ISO 8601.',
        },
        components: {
          securitySchemes: {
            bearerToken: { type: 'http', scheme: 'bearer', description: 'An API token (`oms-invoicing tokens create`); /metrics needs an admin token' },
            adminSession: {
              type: 'apiKey',
              in: 'cookie',
              name: 'oms_admin_session',
              description: 'The admin page’s session, opened by signing in with a token',
            },
          },
        },
      },
      // Shared schemas keep their own name in components.schemas
      refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
      transform: ({ url, route }) => {
        const methods = (Array.isArray(route.method) ? route.method : [route.method]).map(String);
        const doc = methods.map((m) => findRouteDoc(m, route.url ?? url)).find((d) => d !== undefined);
        return { url, schema: doc ? routeSchema(doc) : { summary: 'Undocumented', tags: ['Undocumented'] } };
      },
    },
    (err) => {
      if (err) throw err;
    },
  );
  // The error answer's schema, shared by every route's document (components.schemas)
  app.addSchema({ $id: ERROR_SCHEMA_ID, ...ERROR_BODY });
  app.get('/openapi.json', { config: { apiAuth: false } }, () => Promise.resolve(app.swagger()));
}
