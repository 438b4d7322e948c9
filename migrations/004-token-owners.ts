/**
 * API tokens belong to people: the user a token was made for (a manual run through the API is numbered from
 * that user's primary company), when it expires (null: never), and when it was last used (recorded at most
 * once a minute per token, so a busy client does not write on every request).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('api_tokens', (t) => {
    t.integer('user_id').unsigned().nullable().references('id').inTable('users');
    t.bigInteger('expires_at').nullable();
    t.bigInteger('last_used_at').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('api_tokens', (t) => {
    t.dropForeign(['user_id']);
    t.dropColumn('user_id');
    t.dropColumn('expires_at');
    t.dropColumn('last_used_at');
  });
}
