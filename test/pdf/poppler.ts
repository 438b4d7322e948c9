import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Thin wrappers over poppler-utils, the tools a person would use to check a PDF. */

const workDir = mkdtempSync(path.join(tmpdir(), 'oms-pdf-test-'));
let fileCounter = 0;

/** Fails (never skips) when a poppler tool is not installed. */
export function requirePoppler(tool: 'pdftotext' | 'pdftoppm' | 'pdfinfo' | 'pdffonts' | 'pdfimages'): void {
  try {
    execFileSync('which', [tool], { stdio: 'pipe' });
  } catch {
    throw new Error(`${tool} is not installed: the PDF tests need it. Run: apt-get install poppler-utils`);
  }
}

export function writeTempPdf(bytes: Uint8Array): string {
  const file = path.join(workDir, `doc-${++fileCounter}.pdf`);
  writeFileSync(file, bytes);
  return file;
}

function run(tool: Parameters<typeof requirePoppler>[0], args: string[]): string {
  requirePoppler(tool);
  return execFileSync(tool, args, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `pdftotext -layout`, whole document or pages first..last. */
export function pdfText(file: string, pages?: { first: number; last: number }): string {
  const range = pages ? ['-f', String(pages.first), '-l', String(pages.last)] : [];
  return run('pdftotext', ['-layout', ...range, file, '-']);
}

/** The text of every page (pdftotext separates pages with a form feed). */
export function pdfPageTexts(file: string): string[] {
  const pages = pdfText(file).split('\f');
  if (pages[pages.length - 1]?.trim() === '') pages.pop();
  return pages;
}

export interface WordBox {
  text: string;
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
}

/** Every word with its bounding box in PDF points (origin top left), from `pdftotext -bbox`. */
export function pdfWordBoxes(file: string, page: number): WordBox[] {
  const html = run('pdftotext', ['-bbox', '-f', String(page), '-l', String(page), file, '-']);
  const words: WordBox[] = [];
  const pattern = /<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g;
  for (const match of html.matchAll(pattern)) {
    words.push({
      xMin: Number(match[1]),
      yMin: Number(match[2]),
      xMax: Number(match[3]),
      yMax: Number(match[4]),
      text: decodeEntities(match[5]!),
    });
  }
  return words;
}

export function pdfInfo(file: string): Record<string, string> {
  const info: Record<string, string> = {};
  for (const line of run('pdfinfo', [file]).split('\n')) {
    const at = line.indexOf(':');
    if (at > 0) info[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return info;
}

export function pdfFonts(file: string): string {
  return run('pdffonts', [file]);
}

export function pdfImages(file: string): string {
  return run('pdfimages', ['-list', file]);
}

/** Renders pages to PNG (`prefix-N.png`) and returns stderr, where poppler reports broken fonts. */
export function renderPng(file: string, outPrefix: string, pages: { first: number; last: number }): string {
  requirePoppler('pdftoppm');
  const result = execFileSync(
    'sh',
    ['-c', 'pdftoppm -png -r 60 -f "$1" -l "$2" "$3" "$4" 2>&1', 'sh', String(pages.first), String(pages.last), file, outPrefix],
    { encoding: 'utf8' },
  );
  return result;
}

function decodeEntities(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}
