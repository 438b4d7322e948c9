/**
 * `npm run chaos -- --kills 200 --seed 1 [--json] [--keep]`: the project's chaos suite. Against its own
 * MariaDB, a real SMTP server and a real OpenSSH on loopback, rounds of workers, manual runs and loads are
 * killed with SIGKILL at random moments while faults strike (rounds.ts, faults.ts); then everything
 * settles (settle.ts) and the audit proves what must hold (audit.ts). Exit 0 when every figure that must
 * be zero is zero, 1 when one is not, 2 on bad arguments, 3 when the suite itself could not run.
 * See RELIABILITY.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ReceivedMail } from '../bench/servers/smtp-server.js';
import { auditChaos } from './audit.js';
import { baseDataset } from './dataset.js';
import { gatherAuditInput } from './gather.js';
import { parseChaosOptions, UsageError, type ChaosOptions } from './options.js';
import { createProcessPool, type ProcessPool } from './processes.js';
import { failuresOf, formatReport, summariseProcesses, type ChaosReport } from './report.js';
import { runRounds } from './rounds.js';
import { startServe } from './serve.js';
import { settle } from './settle.js';
import { startSite } from './site.js';
import { ownerOfLocalPort } from './socket-owners.js';

const HOUR = 3600_000;

export async function runChaos(options: ChaosOptions, log: (line: string) => void): Promise<{ report: ChaosReport; workDir: string }> {
  const started = Date.now();
  // Which process opened each SMTP connection, looked up before the greeting (its client is surely alive);
  // a message's sender is then the owner of its connection's port at the time
  const portOwners = new Map<number, number | null>();
  const senders = new Map<ReceivedMail, number | null>();
  let pool: ProcessPool | null = null;
  const site = await startSite(async (clientPort) => {
    portOwners.set(clientPort, await ownerOfLocalPort(clientPort, pool?.live().map((p) => p.pid) ?? []));
  });
  const noteSenders = () => {
    for (const mail of site.smtp.messages) if (!senders.has(mail)) senders.set(mail, portOwners.get(mail.clientPort) ?? null);
  };
  const noting = setInterval(noteSenders, 200);
  try {
    const processes = createProcessPool(site.env, path.join(site.dir, 'logs'));
    pool = processes;
    const setup = async (args: string[]) => {
      const p = processes.start('setup', args);
      await p.ended;
      if (p.code !== 0) throw new Error(`setup step failed: oms-invoicing ${args.join(' ')}: ${p.stderrTail}`);
      return p.stdout;
    };
    // Scheduler time starts tomorrow at a full hour; orders are created a day before they are loaded
    const startAt = Math.ceil((Date.now() + 24 * HOUR) / HOUR) * HOUR;
    const base = path.join(site.dir, 'base.json');
    fs.writeFileSync(
      base,
      JSON.stringify(
        baseDataset(
          site.folders,
          { url: (dir) => site.sshd.url(dir), privateKeyPath: site.sshd.privateKeyPath, hostKeySha256: site.sshd.hostKeySha256 },
          new Date(startAt).toISOString(),
        ),
      ),
    );
    await setup(['load', base]);
    const token = (await setup(['tokens', 'create', '--label', 'chaos'])).trim();
    const serve = await startServe(processes, token);
    log(`chaos: seed ${options.seed}, ${options.kills} kills; work folder ${site.dir}`);

    const rounds = await runRounds({ site, pool: processes, serve, seed: options.seed, kills: options.kills, startAt, log });
    log(`chaos: ${rounds.rounds} rounds dealt ${rounds.kills} kills; settling`);
    const settled = await settle({ site, pool: processes, serve, lastAt: rounds.lastAt, log });
    const serveAnswers = await serve.answers();
    const serveExit = await serve.stop();
    clearInterval(noting);
    noteSenders();

    log('chaos: auditing');
    const audit = auditChaos(await gatherAuditInput(site, processes, rounds, senders));
    const processSummary = summariseProcesses(processes.all());
    const failed = failuresOf(audit, processes.all(), serve.exits, settled);
    if (!serveAnswers) failed.push('serve did not answer after the settling');
    if (serveExit !== 0) failed.push(`serve exited ${serveExit} on SIGTERM`);
    const report: ChaosReport = {
      command: `npm run chaos -- --kills ${options.kills} --seed ${options.seed}`,
      seed: options.seed,
      kills: rounds.kills,
      date: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
        memoryGb: Math.round(os.totalmem() / 2 ** 30),
        os: `${os.type()} ${os.release()}`,
        node: process.versions.node,
        mariadb: `MariaDB ${site.versions.mariadb}`,
        openssh: site.versions.openssh,
      },
      durationMs: Date.now() - started,
      rounds: rounds.rounds,
      killsByKind: rounds.killsByKind,
      faults: rounds.faults,
      faultTimeline: rounds.faultTimeline,
      apiRuns: rounds.apiRuns,
      processes: processSummary,
      serveExits: serve.exits,
      settle: settled,
      audit,
      failed,
      ok: failed.length === 0,
    };
    return { report, workDir: site.dir };
  } finally {
    clearInterval(noting);
    for (const p of pool?.live() ?? []) await pool!.kill(p, 'hung');
    await site.stop();
  }
}

async function main(argv: string[]): Promise<number> {
  let options: ChaosOptions;
  try {
    options = parseChaosOptions(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const log = (line: string) => void process.stderr.write(`${line}\n`);
  try {
    const { report, workDir } = await runChaos(options, log);
    process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    if (report.ok && !options.keep) fs.rmSync(workDir, { recursive: true, force: true });
    else log(`chaos: the logs of every process are in ${workDir}`);
    return report.ok ? 0 : 1;
  } catch (err) {
    log(`chaos: the suite could not run: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 3;
  }
}

process.exitCode = await main(process.argv.slice(2));
