/**
 * What the page answers when something goes wrong: an HTML page with the status and a message a person
 * can act on. The API's JSON errors are not used here.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorCode } from '../../domain/errors.js';
import { pageContext } from './page-context.js';

/** A request the page refuses on its own account (a form from another site, say). */
export class RefusedRequest extends Error {
  readonly statusCode: number;
  constructor(statusCode: number, message: string) {
    super(message);
    this.name = 'RefusedRequest';
    this.statusCode = statusCode;
  }
}

const STATUS: Record<ErrorCode, number> = { INPUT: 400, UNAUTHORIZED: 401, FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409, DELIVERY: 502, INTERNAL: 500 };

const TITLES: Record<number, string> = { 400: 'Not done', 401: 'Signed out', 403: 'Refused', 404: 'Not found', 409: 'Conflict' };

export function describePageError(err: FastifyError | Error): { status: number; title: string; message: string } {
  if (err instanceof AppError) {
    const status = STATUS[err.code] ?? 500;
    if (status < 500) return { status, title: TITLES[status] ?? 'Not done', message: err.message };
  }
  if (err instanceof RefusedRequest) return { status: err.statusCode, title: TITLES[err.statusCode] ?? 'Refused', message: err.message };
  const code = (err as FastifyError).code;
  if (code === 'FST_CSRF_MISSING_SECRET' || code === 'FST_CSRF_INVALID_TOKEN') {
    return {
      status: 403,
      title: 'Refused',
      message: 'This form was refused: it has expired or did not come from this site. Go back, reload the page and try again.',
    };
  }
  const statusCode = (err as FastifyError).statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500)
    return { status: statusCode, title: TITLES[statusCode] ?? 'Not done', message: err.message };
  return { status: 500, title: 'Something went wrong', message: 'Something went wrong on the server; the server log has the details.' };
}

export function sendPageError(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const page = describePageError(err);
  if (page.status >= 500) request.log.error({ err }, 'admin page request failed');
  return reply.status(page.status).view('error', { title: page.title, message: page.message, ...pageContext(request, reply) });
}
