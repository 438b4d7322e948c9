/**
 * The migration list, in order. Listed explicitly (not discovered from the file system) so the same
 * set runs from the TypeScript sources in tests and from the compiled JavaScript in production.
 */
import type { Knex } from 'knex';
import * as initialSchema from './001-initial-schema.js';
import * as runsByIntegration from './002-runs-by-integration.js';
import * as creditNotes from './003-credit-notes.js';
import * as tokenOwners from './004-token-owners.js';
import * as adminSessions from './005-admin-sessions.js';
import * as deliveryAttempts from './006-delivery-attempts.js';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const migrations: ReadonlyArray<readonly [string, Migration]> = [
  ['001-initial-schema', initialSchema],
  ['002-runs-by-integration', runsByIntegration],
  ['003-credit-notes', creditNotes],
  ['004-token-owners', tokenOwners],
  ['005-admin-sessions', adminSessions],
  ['006-delivery-attempts', deliveryAttempts],
];

export const migrationSource: Knex.MigrationSource<readonly [string, Migration]> = {
  getMigrations: () => Promise.resolve([...migrations]),
  getMigrationName: ([name]) => name,
  getMigration: ([, migration]) => Promise.resolve(migration),
};
