/**
 * Reads import files: JSON syntax, then the schema of SPEC §6. Every problem is reported with its
 * file and JSON path; nothing here touches the database.
 */
import fs from 'node:fs/promises';
import type { z } from 'zod';
import { inputError, type Problem } from '../domain/errors.js';
import { formatPath } from '../domain/text-rules.js';
import { importFileSchema, type ImportFile } from './import-schema.js';

/** At most this many problems are listed; the rest are counted. */
const MAX_PROBLEMS = 100;
/** Files larger than this are refused before parsing (the JSON would not fit comfortably in memory). */
const MAX_FILE_BYTES = 1024 * 1024 * 1024;

export interface ImportSource {
  file: string;
  data: ImportFile;
}

function lineAndColumn(text: string, position: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < position && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return `line ${line}, column ${position - lineStart + 1}`;
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const pos = /position (\d+)/.exec(message);
    const where = pos ? ` at ${lineAndColumn(text, Number(pos[1]))}` : '';
    throw inputError([{ path: '', message: `${file}: not valid JSON${where}: ${message}` }]);
  }
}

export function validateImportDocument(file: string, raw: unknown): ImportFile {
  const parsed = importFileSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw inputErrorFor(problemsOf(parsed.error).map((p) => ({ ...p, file })));
}

/** One input error for a schema's complaints (one record, no file), at most MAX_PROBLEMS of them listed. */
export function schemaInputError(error: z.ZodError) {
  const problems = problemsOf(error);
  const shown = problems.slice(0, MAX_PROBLEMS);
  const more = problems.length - shown.length;
  return inputError(more > 0 ? [...shown, { path: '', message: `… and ${more} more problems` }] : shown);
}

/** A schema's complaints as problems, each with its JSON path. */
export function problemsOf(error: z.ZodError): Problem[] {
  const problems: Problem[] = [];
  for (const issue of error.issues) {
    const path = formatPath(issue.path);
    // zod reports an unknown key on the object holding it; name the key itself
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push({ path: formatPath([...issue.path, key]), message: 'is not a known field' });
      }
      continue;
    }
    problems.push({ path, message: issue.message });
  }
  return problems;
}

/** One input error for all problems found, each line `file: path: message`. */
export function inputErrorFor(problems: Array<Problem & { file: string }>) {
  const shown = problems.slice(0, MAX_PROBLEMS);
  const lines = shown.map((p) => `${p.file}: ${p.path ? `${p.path}: ` : ''}${p.message}`);
  if (problems.length > shown.length) lines.push(`… and ${problems.length - shown.length} more problems`);
  return inputError(shown, lines.join('\n'));
}

/** The file's JSON, parsed; its text is dropped when this returns, so only the parsed form stays in memory. */
async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) throw new Error('not a file');
    if (stat.size > MAX_FILE_BYTES) {
      throw inputError([{ path: '', message: `${file}: larger than 1 GiB; split it into several files` }]);
    }
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof Error && err.name === 'AppError') throw err;
    throw inputError([{ path: '', message: `${file}: cannot read the file (${(err as Error).message})` }]);
  }
  return parseJson(file, text);
}

export async function readImportFiles(files: readonly string[]): Promise<ImportSource[]> {
  const sources: ImportSource[] = [];
  for (const file of files) sources.push({ file, data: validateImportDocument(file, await readJsonFile(file)) });
  return sources;
}
