/**
 * `demo`: on a fresh checkout, the whole pipeline on the embedded database — bundled demo data, one
 * full run of every demo company — and where everything went.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { listInvoices } from '../db/invoices-repo.js';
import { inputError } from '../domain/errors.js';
import { redactUrl } from '../domain/redact-secrets.js';
import { validateImportDocument } from '../import/read-import-files.js';
import { loadImport } from '../import/load-import.js';
import { runCompanyIntegrations, type RunReport } from '../pipeline/run-company.js';
import type { AppContext } from './app-context.js';
import { formatTable, printJson } from './output.js';

/** demo/demo-data.json, found from the compiled file (dist/src/admin) or the source (src/admin) */
async function demoDataFile(): Promise<string> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of ['../../..', '../..']) {
    const candidate = path.resolve(here, up, 'demo', 'demo-data.json');
    try {
      await fs.access(candidate);
      return candidate;
    } catch {
      // try the next place
    }
  }
  throw new Error('demo/demo-data.json is missing from this installation');
}

export function registerDemoCommand(program: Command, ctx: AppContext): void {
  program
    .command('demo')
    .description('load the bundled demo data into the embedded database and run every demo company once')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const { io, config } = ctx;
      if (config.database.client !== 'better-sqlite3') {
        throw inputError([
          { path: 'DATABASE_URL', message: 'the demo runs on the embedded SQLite database only; unset DATABASE_URL (or point it at a sqlite: file) to run it' },
        ]);
      }
      const exportDir = path.join(config.dataDir, 'exports');
      await fs.mkdir(exportDir, { recursive: true });
      // The bundled file names its target folder as a placeholder: the data directory's exports folder, which
      // the operator's policy allows unless OMS_FILE_TARGET_DIRS says otherwise (percent-encoded, as a URL path)
      const text = (await fs.readFile(await demoDataFile(), 'utf8')).replaceAll('{EXPORT_DIR}', pathToFileURL(exportDir).pathname);
      const source = { file: 'demo-data.json', data: validateImportDocument('demo-data.json', JSON.parse(text)) };
      const db = await ctx.db();
      const loaded = await loadImport(db, [source], { now: ctx.clock.now(), policy: config.policy });
      const deps = await ctx.runDeps();
      const reports: RunReport[] = [];
      for (const c of source.data.companies.filter((co) => co.integrations && co.integrations.length > 0)) {
        reports.push(await runCompanyIntegrations(deps, { companyCode: c.code, dryRun: false }));
      }
      const invoices = await listInvoices(db);
      const where = {
        database: config.database.filename!,
        emails: config.smtpUrl ? `sent to ${redactUrl(config.smtpUrl)}` : config.outboxDir,
        exports: exportDir,
      };
      if (opts.json) return printJson(io, { loaded, runs: reports, invoices, output: where });
      io.stdout.write(
        `Loaded ${loaded.companies.inserted + loaded.companies.updated} companies, ${loaded.orders.inserted + loaded.orders.updated + loaded.orders.unchanged} orders.\n\n`,
      );
      for (const r of reports) {
        const skipped = Object.entries(r.skipped)
          .filter(([, n]) => n > 0)
          .map(([k, n]) => `${n} ${k}`);
        io.stdout.write(
          `${r.company}: ${r.invoices.length === 0 ? 'nothing new to invoice' : `issued ${r.invoices.map((i) => `${i.number} (${i.total} ${i.currency})`).join(', ')}`}${skipped.length ? `; skipped ${skipped.join(', ')}` : ''}\n`,
        );
      }
      io.stdout.write('\n');
      io.stdout.write(
        formatTable(
          ['NUMBER', 'COMPANY', 'ISSUED', 'DUE', 'TOTAL', 'DELIVERIES'],
          invoices.map((i) => [
            i.number,
            i.company,
            i.issueDate,
            i.dueDate,
            `${i.total} ${i.currency}`,
            i.deliveries.map((d) => `${d.integration}:${d.status}`).join(' '),
          ]),
        ),
      );
      io.stdout.write(
        `\nWhere the output went:\n` +
          `  database        ${where.database}\n` +
          `  emails (.eml)   ${where.emails}\n` +
          `  XML + PDF       ${where.exports}\n\n` +
          `Try: oms-invoicing invoices pdf ${invoices[0]?.number ?? 'NUMBER'} -o invoice.pdf\n` +
          `     oms-invoicing orders list --not-invoiced\n` +
          `     oms-invoicing integrations list\n`,
      );
    });
}
