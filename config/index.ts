/**
 * Configuration: read from the environment once, validated, frozen. The only place that reads
 * `process.env` (callers pass another record in tests).
 */
import path from 'node:path';
import { z } from 'zod';
import { isFolderList, readOperatorPolicy, type OperatorPolicy } from './operator-policy.js';
import { collectSecretValues } from './secret-values.js';

export type { OperatorPolicy } from './operator-policy.js';

const positiveInt = (name: string, fallback: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      if (!/^[1-9][0-9]*$/.test(v)) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a positive whole number, got "${v}"` });
        return z.NEVER;
      }
      return Number(v);
    });

const folderList = (name: string) =>
  z
    .string()
    .optional()
    .refine((v) => v === undefined || isFolderList(v), { message: `${name} must be folder names separated by ":", without control characters` });

const envSchema = z.object({
  DATABASE_URL: z
    .string()
    .optional()
    .refine((v) => v === undefined || v === '' || /^(sqlite:.+|mysql:\/\/.+|mariadb:\/\/.+)$/.test(v), {
      message: 'DATABASE_URL must look like sqlite:./var/oms.sqlite or mysql://user:pass@host:port/db',
    }),
  SMTP_URL: z
    .string()
    .optional()
    .refine((v) => v === undefined || v === '' || /^smtps?:\/\/[^\s]+$/.test(v), {
      message: 'SMTP_URL must look like smtp://host:port (or smtps://user:pass@host:port)',
    }),
  SMTP_FROM: z.string().optional(),
  OMS_DATA_DIR: z.string().optional(),
  OMS_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  OMS_PDF_FONTS: z.string().optional(),
  OMS_DELIVERY_MAX_ATTEMPTS: positiveInt('OMS_DELIVERY_MAX_ATTEMPTS', 6),
  OMS_DELIVERY_BACKOFF_SECONDS: positiveInt('OMS_DELIVERY_BACKOFF_SECONDS', 60),
  OMS_WORKER_CONCURRENCY: positiveInt('OMS_WORKER_CONCURRENCY', 4),
  OMS_LEASE_SECONDS: positiveInt('OMS_LEASE_SECONDS', 300),
  OMS_WORKER_BATCH: positiveInt('OMS_WORKER_BATCH', 50).refine((v) => v <= 1000, { message: 'OMS_WORKER_BATCH must be at most 1000' }),
  OMS_FILE_TARGET_DIRS: folderList('OMS_FILE_TARGET_DIRS'),
  OMS_SFTP_KEY_DIRS: folderList('OMS_SFTP_KEY_DIRS'),
});

export interface Config {
  /** knex client and connection derived from DATABASE_URL */
  database: { url: string; client: 'mysql2' | 'better-sqlite3'; filename?: string };
  smtpUrl: string | null;
  mailFrom: string;
  dataDir: string;
  outboxDir: string;
  logLevel: string;
  /** Extra font files tried, in order, for characters DejaVu Sans lacks */
  pdfFonts: string[];
  delivery: { maxAttempts: number; backoffSeconds: number };
  /** batch: most companies one scheduler transaction invoices together (see scheduler/tick.ts) */
  worker: { concurrency: number; leaseSeconds: number; batch: number };
  /** Where integrations may point the server: folders for file:// targets and key files, the passwordEnv prefix */
  policy: OperatorPolicy;
  /** Configured passwords (DATABASE_URL, SMTP_URL, every OMS_SECRET_ variable): never printed */
  secrets: readonly string[];
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const DEFAULT_CJK_FONT = '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc';

export function loadConfig(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(cwd, e.OMS_DATA_DIR || './var');
  const url = e.DATABASE_URL || `sqlite:${path.join(dataDir, 'oms.sqlite')}`;
  const database: Config['database'] = url.startsWith('sqlite:')
    ? { url, client: 'better-sqlite3', filename: path.resolve(cwd, url.slice('sqlite:'.length)) }
    : { url: url.replace(/^mariadb:/, 'mysql:'), client: 'mysql2' };
  const config: Config = {
    database,
    smtpUrl: e.SMTP_URL || null,
    mailFrom: e.SMTP_FROM || 'invoices@oms-invoicing.localhost',
    dataDir,
    outboxDir: path.join(dataDir, 'outbox'),
    logLevel: e.OMS_LOG_LEVEL ?? 'info',
    pdfFonts: e.OMS_PDF_FONTS === undefined ? [DEFAULT_CJK_FONT] : e.OMS_PDF_FONTS.split(path.delimiter).filter((f) => f !== ''),
    delivery: { maxAttempts: e.OMS_DELIVERY_MAX_ATTEMPTS, backoffSeconds: e.OMS_DELIVERY_BACKOFF_SECONDS },
    worker: { concurrency: e.OMS_WORKER_CONCURRENCY, leaseSeconds: e.OMS_LEASE_SECONDS, batch: e.OMS_WORKER_BATCH },
    policy: Object.freeze(readOperatorPolicy({ fileTargetDirs: e.OMS_FILE_TARGET_DIRS, sftpKeyDirs: e.OMS_SFTP_KEY_DIRS }, dataDir, cwd)),
    secrets: Object.freeze(collectSecretValues(env)),
  };
  return Object.freeze(config);
}
