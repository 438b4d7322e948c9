import type { TestProject } from 'vitest/node';
import { startMariaDb, type MariaDbServer } from './mariadb.js';

declare module 'vitest' {
  export interface ProvidedContext {
    mariadbUrl: string;
  }
}

let server: MariaDbServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  server = await startMariaDb();
  project.provide('mariadbUrl', server.url);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
