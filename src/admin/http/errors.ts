/**
 * How the API reports errors: `{ error: { code, message, problems: [{ path, message }] } }`, with the
 * HTTP status that goes with the code.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorCode } from '../../domain/errors.js';
import { redactSecrets } from '../../domain/redact-secrets.js';

const STATUS: Record<ErrorCode, number> = {
  INPUT: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  DELIVERY: 502,
  INTERNAL: 500,
};

export interface ErrorBody {
  error: { code: string; message: string; problems: Array<{ path: string; message: string }> };
}

const body = (code: string, message: string, problems: Array<{ path: string; message: string }> = []): ErrorBody => ({ error: { code, message, problems } });

export function notFound(what: string): AppError {
  return new AppError('NOT_FOUND', what, { problems: [{ path: '', message: what }] });
}

/** Renames the paths of CLI-flavoured problems (`--as`) to the request's field names (`as`). */
export function renamePaths(err: unknown, names: Record<string, string>): unknown {
  if (!(err instanceof AppError)) return err;
  if (!err.problems.some((p) => p.path in names)) return err;
  const problems = err.problems.map((p) => ({ path: p.path in names ? names[p.path]! : p.path, message: p.message }));
  const message = problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('\n');
  return new AppError(err.code, message, { problems, retryable: err.retryable, cause: err });
}

/**
 * The error handler: AppErrors with their status, fastify's own refusals (malformed JSON, unsupported media
 * type, body too large: 413) as input errors, anything else 500 with the details in the log only. Messages
 * pass through `redactSecrets` first, so no configured secret can reach an answer.
 */
export function errorHandler(secrets: readonly string[]) {
  const clean = (text: string) => redactSecrets(text, secrets);
  return (err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (err instanceof AppError) {
      const status = STATUS[err.code] ?? 500;
      if (status === 401) reply.header('www-authenticate', 'Bearer');
      if (status >= 500) request.log.error({ err }, 'request failed');
      return reply.status(status).send(
        body(
          err.code,
          clean(err.message),
          err.problems.map((p) => ({ path: p.path, message: clean(p.message) })),
        ),
      );
    }
    const statusCode = (err as FastifyError).statusCode;
    if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
      const message = clean(err.message);
      return reply.status(statusCode).send(body('INPUT', message, [{ path: '', message }]));
    }
    request.log.error({ err }, 'request failed');
    return reply.status(500).send(body('INTERNAL', 'internal error (the server log has the details)'));
  };
}

export function sendNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const message = `no such endpoint: ${request.method} ${request.url.split('?')[0]}`;
  return reply.status(404).send(body('NOT_FOUND', message, [{ path: '', message }]));
}
