/**
 * Sessions of the admin page (`/admin`): one row per signed-in browser. Only the SHA-256 of the session
 * id is stored (the id itself lives in the browser's cookie), so a copy of the database signs nobody in.
 * A session belongs to the API token it was opened with and is deleted with it.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('admin_sessions', (t) => {
    const client = String((knex.client as Knex.Client).config.client);
    if (client === 'mysql2' || client === 'mysql') {
      t.charset('utf8mb4');
      t.collate('utf8mb4_bin');
    }
    t.increments('id');
    t.string('session_sha256', 64).notNullable().unique();
    t.integer('token_id').unsigned().notNullable().references('id').inTable('api_tokens').onDelete('CASCADE');
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.index(['expires_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('admin_sessions');
}
