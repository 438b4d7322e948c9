/**
 * Composition root: builds the real adapters from the configuration and hands them to the CLI.
 * The only module that knows every concrete piece.
 */
import type { Knex } from 'knex';
import { ConfigError, loadConfig } from '../config/index.js';
import { buildCli } from './admin/cli.js';
import type { AppContext } from './admin/app-context.js';
import { processIo, type Io } from './admin/output.js';
import { connectDatabase, migrateLatest } from './db/connect.js';
import { classifyDatabaseError } from './db/database-errors.js';
import { systemClock, type Clock } from './domain/clock.js';
import { AppError } from './domain/errors.js';
import { redactSecrets } from './domain/redact-secrets.js';
import fs from 'node:fs';
import type { Logger } from 'pino';
import { createLogger } from './admin/create-logger.js';
import type { PdfRenderer } from '../integrations/pdf/render-invoice-pdf.js';
import type { Mailer } from '../integrations/pdf-emailer/index.js';
import { buildUblDocument } from '../integrations/xml-sftp/build-ubl-document.js';
import { checkXmlSftpPolicy } from './import/check-xml-sftp-policy.js';
import { createOutbox } from './pipeline/outbox.js';
import { shareSessions } from './scheduler/shared-sessions.js';

export function createContext(io: Io, clock: Clock = systemClock): AppContext {
  const config = loadConfig(io.env, io.cwd);
  let db: Knex | null = null;
  let mailer: Mailer | null = null;
  let log: Logger | null = null;
  let renderer: Promise<PdfRenderer> | null = null;
  let ready: Promise<Knex> | null = null;
  const sharedDrivers: Array<{ closeAll(): Promise<void> }> = [];
  return {
    config,
    clock,
    io,
    db() {
      ready ??= (async () => {
        // Each integration a worker runs at once holds at most one connection at a time; leave room for
        // the tick's own queries (MySQL only: SQLite has one connection)
        db = connectDatabase(config.database, {
          poolMax: Math.max(10, config.worker.concurrency + 4),
          warn: (message) => this.logger().warn({ source: 'knex' }, message),
        });
        // Pending migrations are applied on first use, so a fresh database just works
        await migrateLatest(db).catch((err: unknown) => {
          throw classifyDatabaseError(err) === 'connection'
            ? new AppError('INTERNAL', `cannot reach the database: ${(err as Error).message}`, { cause: err })
            : err;
        });
        return db;
      })();
      return ready;
    },
    logger() {
      log ??= createLogger(config, (line) => io.stderr.write(line));
      return log;
    },
    artefacts() {
      // Loaded on first use: commands that render nothing start faster
      renderer ??= import('../integrations/pdf/render-invoice-pdf.js').then(({ createPdfRenderer }) =>
        createPdfRenderer({ fontFiles: config.pdfFonts.filter((f) => fs.existsSync(f.replace(/#\d+$/, ''))) }),
      );
      return {
        pdf: async (doc) => (await renderer!).render(doc),
        renderPdf: async (doc) => (await renderer!).render(doc),
        xml: (doc) => buildUblDocument(doc),
      };
    },
    async runDeps(options = {}) {
      const knex = await this.db();
      const [{ createMailer, createPdfEmailerDriver }, { createXmlSftpDriver }] = await Promise.all([
        import('../integrations/pdf-emailer/index.js'),
        import('../integrations/xml-sftp/index.js'),
      ]);
      mailer ??= createMailer({ smtpUrl: config.smtpUrl, outboxDir: config.outboxDir });
      const xmlSftp = createXmlSftpDriver({
        readSecret: (name) => io.env[name],
        claimSeconds: config.worker.leaseSeconds,
        checkPolicy: (settings) => checkXmlSftpPolicy(config.policy, settings),
      });
      // Email sessions are free (one SMTP pool per process); an SFTP session is a login worth keeping
      const sharedSftp = options.shareSessions ? shareSessions(xmlSftp) : null;
      if (sharedSftp) sharedDrivers.push(sharedSftp);
      const deliverer = createOutbox({
        db: knex,
        clock,
        drivers: {
          'pdf-emailer': createPdfEmailerDriver({ mailer, from: config.mailFrom }),
          'xml-sftp': sharedSftp ?? xmlSftp,
        },
        render: this.artefacts(),
        warn: (err, message) => this.logger().warn({ err }, message),
        policy: {
          maxAttempts: config.delivery.maxAttempts,
          backoffSeconds: config.delivery.backoffSeconds,
          claimSeconds: config.worker.leaseSeconds,
          concurrency: 8,
        },
      });
      return { db: knex, clock, deliverer, closeSessions: async () => sharedSftp?.closeAll() };
    },
    async close() {
      await Promise.all(sharedDrivers.map((d) => d.closeAll()));
      await mailer?.close();
      if (db) await db.destroy();
    },
  };
}

export const EXIT = { ok: 0, deliveryFailed: 1, badInput: 2, other: 3 } as const;

export function exitCodeFor(err: unknown): number {
  if (err instanceof ConfigError) return EXIT.badInput;
  if (err instanceof AppError) {
    if (err.code === 'INPUT' || err.code === 'NOT_FOUND' || err.code === 'CONFLICT') return EXIT.badInput;
    if (err.code === 'DELIVERY') return EXIT.deliveryFailed;
  }
  return EXIT.other;
}

export function reportError(io: Io, err: unknown, json: boolean, secrets: readonly string[] = []): void {
  // A library's message may quote a URL with its password, or a configured secret: never printed
  const message = redactSecrets(err instanceof Error ? err.message : String(err), secrets);
  if (json) {
    const error =
      err instanceof AppError
        ? { code: err.code, message, problems: err.problems }
        : { code: err instanceof ConfigError ? 'CONFIG' : 'INTERNAL', message, problems: [] };
    io.stdout.write(`${JSON.stringify({ error }, null, 2)}\n`);
  }
  const known = err instanceof AppError || err instanceof ConfigError;
  const detail = err instanceof Error && err.stack ? redactSecrets(err.stack, secrets) : message;
  io.stderr.write(`oms-invoicing: ${known ? message : `unexpected error: ${detail}`}\n`);
}

export async function main(argv: string[], io: Io = processIo(), clock: Clock = systemClock): Promise<number> {
  const json = argv.includes('--json');
  let ctx: AppContext | null = null;
  try {
    ctx = createContext(io, clock);
    const cli = buildCli(ctx);
    return await cli.run(argv);
  } catch (err) {
    reportError(io, err, json, ctx?.config.secrets);
    return exitCodeFor(err);
  } finally {
    await ctx?.close();
  }
}
