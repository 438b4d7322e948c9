/**
 * Tests that run the real binary need dist/ to match the sources; rebuild when it does not.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

function newestMtime(dir: string): number {
  let newest = 0;
  if (!fs.existsSync(dir)) return newest;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

export function ensureBuilt(root: string): void {
  const marker = path.join(root, 'dist', 'src', 'main.js');
  const built = fs.existsSync(marker) ? fs.statSync(marker).mtimeMs : 0;
  const sources = Math.max(...['src', 'config', 'migrations', 'integrations', 'bench', 'chaos'].map((d) => newestMtime(path.join(root, d))));
  if (sources > built) {
    try {
      execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.json')], { stdio: 'pipe' });
    } catch (err) {
      // tsc still emits on type errors; `npm test` reports them before the tests run
      process.stderr.write(`warning: tsc reported errors while rebuilding dist/:\n${String((err as { stdout?: Buffer }).stdout ?? '')}\n`);
    }
    fs.utimesSync(marker, new Date(), new Date());
  }
}
