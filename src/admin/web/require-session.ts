/**
 * Pages that need a signed-in session send the browser to the sign-in form, and back afterwards.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

export async function requireSession(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.adminSession) return;
  const next = request.method === 'GET' ? `?next=${encodeURIComponent(request.url)}` : '';
  await reply.redirect(`/admin/sign-in${next}`, 303);
}
