/**
 * Run log entries by integration and status: a scheduler batch closes its integrations' entries left
 * `running` by a process that died (scheduler/tick.ts), and that look-up must not scan the whole log.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('runs', (t) => {
    t.index(['integration_id', 'status']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('runs', (t) => {
    t.dropIndex(['integration_id', 'status']);
  });
}
