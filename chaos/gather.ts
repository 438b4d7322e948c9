/**
 * Collects what the audit checks: the database (through the project's repositories), the messages the
 * SMTP server accepted, and every file in the upload folders, each final-named file compared byte for
 * byte with the invoice's artefact as `invoices xml` / `invoices pdf` render it (the same code, in this
 * process, through the composition root).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ReceivedMail } from '../bench/servers/smtp-server.js';
import { safeFileStem } from '../integrations/contract.js';
import { readConsistencyFacts } from '../src/db/consistency-repo.js';
import { listDeliveries } from '../src/db/deliveries-repo.js';
import { listIntegrations } from '../src/db/integrations-repo.js';
import { createContext } from '../src/main.js';
import { loadBillingDocumentByNumber } from '../src/pipeline/invoice-documents.js';
import type { AuditInput } from './audit.js';
import type { ProcessPool } from './processes.js';
import { projectRoot } from './processes.js';
import type { RoundsResult } from './rounds.js';
import type { ChaosSite } from './site.js';

/** The Message-ID header of a raw message (headers end at the first empty line) */
export function messageIdOf(raw: Buffer): string | null {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, end < 0 ? raw.length : end).toString('latin1');
  const m = /^message-id:\s*(<[^>\r\n]+>)/im.exec(head);
  return m ? m[1]! : null;
}

/** The folder a stored xml-sftp target points at (sftp://user@host:port/abs/dir) */
function folderOf(target: string): string | null {
  try {
    return decodeURIComponent(new URL(target).pathname);
  } catch {
    return null;
  }
}

export async function gatherAuditInput(
  site: ChaosSite,
  pool: ProcessPool,
  rounds: Pick<RoundsResult, 'loads' | 'faultTimeline'>,
  senders: ReadonlyMap<ReceivedMail, number | null>,
): Promise<AuditInput> {
  const facts = await readConsistencyFacts(site.db);
  const deliveries = await listDeliveries(site.db);
  const integrations = (await listIntegrations(site.db, { enabledOnly: true })).map((g) =>
    g.type === 'xml-sftp'
      ? { company: g.companyCode, type: g.type, folder: folderOf(g.settings.target), includePdf: g.settings.includePdf }
      : { company: g.companyCode, type: g.type, folder: null, includePdf: false },
  );
  const emails = site.smtp.messages.map((mail) => ({ messageId: messageIdOf(mail.raw), acceptedAt: mail.acceptedAt, senderPid: senders.get(mail) ?? null }));
  const kills = new Map<number, number>();
  const processNames = new Map<number, string>();
  for (const p of pool.all()) {
    if (p.killed === 'chaos' && p.killedAt !== null) kills.set(p.pid, p.killedAt);
    processNames.set(p.pid, `#${p.id} ${p.kind}${p.killed ? ` (${p.killed === 'chaos' ? 'killed' : 'hung'})` : p.endedAt !== null ? ` (exit ${p.code})` : ''}`);
  }

  // The artefacts as the program renders them, for every final-named file found
  const ctx = createContext({ stdout: { write: () => true }, stderr: { write: () => true }, env: { ...site.env, OMS_LOG_LEVEL: 'silent' }, cwd: projectRoot });
  const files: Array<AuditInput['files'][number]> = [];
  try {
    const db = await ctx.db();
    const byStem = new Map(facts.invoices.map((i) => [safeFileStem(i.number), i.number]));
    for (const folder of [site.folders.a, site.folders.b, site.folders.full]) {
      for (const name of (await readdir(folder)).sort()) {
        if (name === 'lost+found') continue;
        const stem = /^(.+)\.(xml|pdf)$/.exec(name);
        const number = stem ? byStem.get(stem[1]!) : undefined;
        if (!stem || number === undefined || name.startsWith('.')) {
          files.push({ folder, name, intact: null });
          continue;
        }
        const { doc } = await loadBillingDocumentByNumber(db, number);
        const expected = stem[2] === 'xml' ? Buffer.from(ctx.artefacts().xml(doc), 'utf8') : Buffer.from((await ctx.artefacts().renderPdf(doc)).bytes);
        files.push({ folder, name, intact: expected.equals(await readFile(path.join(folder, name))) });
      }
    }
  } finally {
    await ctx.close();
  }

  const loadsOut = rounds.loads.map((l) => ({
    orders: l.orders,
    outcome: l.process.killed === 'chaos' || l.process.killed === 'hung' ? ('killed' as const) : l.process.code === 0 ? ('ok' as const) : ('failed' as const),
  }));
  const databaseFaults = rounds.faultTimeline.filter((f) => f.target === 'mariadb');
  return { facts, deliveries, integrations, emails, kills, processNames, files, databaseFaults, loads: loadsOut };
}
