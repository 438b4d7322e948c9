/**
 * A real SMTP server for tests (the `smtp-server` package, in-process, loopback, no TLS, no auth), with
 * faults on demand. The implementation lives in bench/servers/smtp-server.ts, shared with the benchmarks.
 *
 *   const smtp = await startSmtpServer();
 *   createSmtpMailer(smtp.url) …
 *   smtp.messages        // envelopes + raw RFC 5322 bytes, in arrival order
 *   smtp.failNext(2)     // the next 2 messages get "451 …" after DATA; failNext(1, 550) for a permanent one
 *   smtp.stallNext(1, 'connect'), smtp.dropNext(1, 'data')   // silence, or a connection cut mid-DATA
 *   smtp.holdReplies()   // messages arrive but get no answer until .release()
 *   await smtp.stop()    // now the port refuses connections
 */
export { findFreePort } from '../../bench/servers/find-free-port.js';
export {
  startSmtpServer,
  type HeldReplies,
  type ReceivedMail,
  type SmtpServerOptions,
  type SmtpStage,
  type TestSmtpServer,
} from '../../bench/servers/smtp-server.js';
