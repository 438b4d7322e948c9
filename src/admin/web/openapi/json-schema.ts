/**
 * The API's zod schemas as JSON Schema (2020-12, what OpenAPI 3.1 uses), as a client sends the value: a
 * query parameter that the API turns into a number is a string here, as it is on the wire.
 */
import { z } from 'zod';

export type JsonSchema = Record<string, unknown>;

export function toJsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/**
 * A PATCH body: the same object, every field optional (what is left out keeps its stored value). For a
 * union of objects (an integration of either type), each member alike.
 */
export function withoutRequired(schema: JsonSchema): JsonSchema {
  const { required: _required, ...rest } = schema;
  for (const key of ['anyOf', 'oneOf'] as const) {
    const members = rest[key];
    if (Array.isArray(members)) rest[key] = members.map((m) => withoutRequired(m as JsonSchema));
  }
  return rest;
}
