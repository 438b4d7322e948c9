/**
 * A real SMTP server for tests (the `smtp-server` package, in-process, loopback, no TLS, no auth).
 * The implementation lives in bench/support-servers.ts, shared with the benchmarks.
 *
 *   const smtp = await startSmtpServer();
 *   createSmtpMailer(smtp.url) …
 *   smtp.messages        // envelopes + raw RFC 5322 bytes, in arrival order
 *   smtp.failNext(2)     // the next 2 messages get "451 …" after DATA; failNext(1, 550) for a permanent one
 *   smtp.holdReplies()   // messages arrive but get no answer until .release()
 *   await smtp.stop()    // now the port refuses connections
 */
export {
  findFreePort,
  startSmtpServer,
  type HeldReplies,
  type ReceivedMail,
  type SmtpServerOptions,
  type TestSmtpServer,
} from '../../bench/support-servers.js';
