/**
 * Every finished delivery attempt (sent, or failed with the reason): a delivery row keeps only its latest
 * state, and the admin page shows each delivery's timeline from these rows.
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('delivery_attempts', (t) => {
    const client = String((knex.client as Knex.Client).config.client);
    if (client === 'mysql2' || client === 'mysql') {
      t.charset('utf8mb4');
      t.collate('utf8mb4_bin');
    }
    t.bigIncrements('id');
    t.bigInteger('delivery_id').unsigned().notNullable().references('id').inTable('deliveries');
    // The delivery's attempt count when it was made (a manual retry starts again at 1)
    t.integer('attempt').notNullable();
    t.string('status', 10).notNullable(); // sent | failed
    // sent: the server's answer (SMTP message id, remote paths); failed: the reason
    t.text('detail').nullable();
    t.bigInteger('finished_at').notNullable();
    t.index(['delivery_id', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('delivery_attempts');
}
