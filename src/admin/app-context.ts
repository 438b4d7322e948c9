/**
 * What every command, API route and page is given: the configuration, the clock, the process's standard
 * streams, and the real adapters (database, logger, artefact renderers, the outbox), built lazily by the
 * composition root (src/main.ts).
 */
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Config } from '../../config/index.js';
import type { RenderedPdf } from '../../integrations/pdf/render-invoice-pdf.js';
import type { Clock } from '../domain/clock.js';
import type { BillingDocument } from '../domain/invoice-document.js';
import type { ArtefactRenderer } from '../pipeline/outbox.js';
import type { RunDeps } from '../pipeline/run-integrations.js';
import type { Io } from './output.js';

export interface AppContext {
  config: Config;
  clock: Clock;
  io: Io;
  /** The database, connected and migrated on first use */
  db(): Promise<Knex>;
  /**
   * What a run needs: the database, the clock and the outbox. With `shareSessions` (the scheduler), SFTP
   * sessions are shared between runs until `closeSessions()` (or `close()`), a function of its own that can
   * be handed on (the scheduler's tick calls it).
   */
  runDeps(options?: { shareSessions?: boolean }): Promise<RunDeps & { closeSessions: () => Promise<void> }>;
  /** Structured logs (pino, JSON lines) on standard error */
  logger(): Logger;
  /** The invoice artefacts, rendered exactly as deliveries render them */
  artefacts(): ArtefactRenderer & { renderPdf(doc: BillingDocument): Promise<RenderedPdf> };
  close(): Promise<void>;
}
