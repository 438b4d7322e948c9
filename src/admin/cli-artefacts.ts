/**
 * `invoices pdf|xml NUMBER` and `credit-notes pdf|xml NUMBER`: a document's PDF or UBL XML, rendered from
 * what was committed, so the bytes are those that were delivered.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { DocumentKind } from '../db/invoice-rows.js';
import { loadBillingDocumentByNumber } from '../pipeline/invoice-documents.js';
import type { AppContext } from './app-context.js';
import { printJson } from './output.js';

const NAMES: Record<DocumentKind, string> = { invoice: 'invoice', credit_note: 'credit note' };

/** Writes to a file atomically (a temporary name, then renamed), or to standard output. */
async function writeArtefact(ctx: AppContext, bytes: Uint8Array, opts: { output?: string; json?: boolean }, meta: Record<string, unknown>): Promise<void> {
  if (opts.output) {
    const file = path.resolve(ctx.io.cwd, opts.output);
    const tmp = `${file}.${process.pid}.tmp`;
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, file);
    if (opts.json) printJson(ctx.io, { ...meta, file, bytes: bytes.length });
    else ctx.io.stderr.write(`wrote ${file} (${bytes.length} bytes)\n`);
    return;
  }
  if (opts.json) return printJson(ctx.io, { ...meta, bytes: bytes.length, base64: Buffer.from(bytes).toString('base64') });
  ctx.io.stdout.write(Buffer.from(bytes) as unknown as string);
}

export function registerArtefactCommands(group: Command, ctx: AppContext, kind: DocumentKind): void {
  const name = NAMES[kind];
  const command = (format: 'pdf' | 'xml', description: string) =>
    group
      .command(format)
      .description(description)
      .argument('<number>', `${name} number`)
      .option('-o, --output <file>', 'write to this file (default: standard output)')
      .option('--json', 'machine-readable output')
      .action(async (number: string, opts: { output?: string; json?: boolean }) => {
        const { doc } = await loadBillingDocumentByNumber(await ctx.db(), number, kind);
        if (format === 'xml') return writeArtefact(ctx, Buffer.from(ctx.artefacts().xml(doc), 'utf8'), opts, { number });
        const rendered = await ctx.artefacts().renderPdf(doc);
        await writeArtefact(ctx, rendered.bytes, opts, { number, pages: rendered.pageCount, missingCharacters: rendered.missingCharacters });
      });
  command('pdf', `the ${name}'s PDF, identical to what was delivered`);
  command('xml', `the ${name}'s UBL 2.1 XML (Peppol BIS Billing 3.0), identical to what was delivered`);
}
