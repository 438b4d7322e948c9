import type { TestProject } from 'vitest/node';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from './build.js';
import { startMariaDb, type MariaDbServer } from '../../bench/throwaway-mariadb.js';

declare module 'vitest' {
  export interface ProvidedContext {
    mariadbUrl: string;
  }
}

let server: MariaDbServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  // The CLI tests that spawn bin/oms-invoicing.js run the compiled code
  ensureBuilt(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..'));
  server = await startMariaDb();
  project.provide('mariadbUrl', server.url);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
