/**
 * Runs shared/einvoice/validate (UBL 2.1 XSD + EN 16931 + Peppol BIS 3 schematrons) on many files in
 * one JVM and parses its report. Exit 0: all valid; 1: some invalid; anything else: the kit could not
 * run, which is a failure, never a skip.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const VALIDATOR = fileURLToPath(new URL('../../../shared/einvoice/validate', import.meta.url));

export interface ValidationReport {
  file: string;
  valid: boolean;
  xsdOk: boolean;
  /** "[CEN] BR-CO-15: …" */
  fatals: string[];
  /** Rule ids of the fatal asserts, e.g. "BR-S-02" */
  fatalIds: string[];
}

export async function validateInvoices(files: string[]): Promise<Map<string, ValidationReport>> {
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(VALIDATOR, files, { maxBuffer: 64 * 1024 * 1024, timeout: 300_000 }, (error, stdout, stderr) => {
      const exit = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code: exit, stdout, stderr });
    });
  });
  if (code !== 0 && code !== 1) {
    throw new Error(`${VALIDATOR} could not run (exit ${code}): ${stderr.trim() || stdout.trim()}`);
  }
  const reports = new Map<string, ValidationReport>();
  for (const block of stdout.split(/^(?=== )/m).filter((b) => b.startsWith('== '))) {
    const file = /^== (.*?)(?: \((?:Invoice|CreditNote)\))?$/m.exec(block)?.[1] ?? '';
    const fatals = [...block.matchAll(/^ {3}FATAL {3}(.*)$/gm)].map((m) => m[1] ?? '');
    reports.set(file, {
      file,
      valid: /^ {3}RESULT {2}: VALID$/m.test(block),
      xsdOk: /^ {3}XSD {5}: OK/m.test(block),
      fatals,
      fatalIds: fatals.map((f) => /^\[\w+\] ([^:]+):/.exec(f)?.[1] ?? f),
    });
  }
  const missing = files.filter((f) => !reports.has(f));
  if (missing.length > 0) throw new Error(`validator printed no report for ${missing.join(', ')}:\n${stdout}\n${stderr}`);
  if ((code === 0) !== [...reports.values()].every((r) => r.valid)) {
    throw new Error(`validator exit ${code} disagrees with its report:\n${stdout}`);
  }
  return reports;
}

/** Validates named XML texts in one run (written to a temporary folder, removed afterwards): one report per name. */
export async function validateXmlDocuments(documents: Record<string, string>): Promise<Record<string, ValidationReport>> {
  const dir = await mkdtemp(join(tmpdir(), 'oms-einvoice-'));
  try {
    const files: Record<string, string> = {};
    for (const [name, xml] of Object.entries(documents)) {
      files[name] = join(dir, `${name}.xml`);
      await writeFile(files[name], xml, 'utf8');
    }
    const byFile = await validateInvoices(Object.values(files));
    return Object.fromEntries(Object.entries(files).map(([name, file]) => [name, byFile.get(file)!]));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
