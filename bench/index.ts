/**
 * `npm run bench [-- SUITE…]`: runs the benchmark suites (all by default), prints a JSON line per
 * suite, and writes the figures to bench-results/SUITE.json. BENCHMARKS.md records them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runDeliveryBench } from './delivery.js';
import { runEngineBench } from './engine.js';
import { runLoadBench } from './load.js';
import { runPdfBench } from './pdf.js';
import { runWorkerBench } from './worker.js';
import { projectRoot, stopMariaDb } from './support.js';

type Suite = () => Promise<Record<string, number | string>>;

const suites: Record<string, Suite> = {
  load: () => runLoadBench(),
  engine: () => runEngineBench(),
  pdf: () => runPdfBench(),
  delivery: () => runDeliveryBench(),
  worker: () => runWorkerBench(),
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const names = wanted.length > 0 ? wanted : Object.keys(suites);
  const unknown = names.filter((n) => !(n in suites));
  if (unknown.length > 0) {
    process.stderr.write(`unknown suite(s): ${unknown.join(', ')}; known: ${Object.keys(suites).join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  const dir = path.join(projectRoot, 'bench-results');
  fs.mkdirSync(dir, { recursive: true });
  try {
    for (const name of names) {
      process.stderr.write(`bench ${name}…\n`);
      const figures = await suites[name]!();
      const record = {
        suite: name,
        date: new Date().toISOString(),
        machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
        ...figures,
      };
      fs.writeFileSync(path.join(dir, `${name}.json`), `${JSON.stringify(record, null, 2)}\n`);
      process.stdout.write(`${JSON.stringify(record)}\n`);
    }
  } finally {
    await stopMariaDb();
  }
}

await main();
