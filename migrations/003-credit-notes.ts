/**
 * Credit notes (SPEC §8). A credit note is a document of its own kind in the `invoices` table (as
 * accounting systems keep refunds beside invoices): `kind = 'credit_note'`, with the invoice it credits, the
 * reason and who issued it. So its number is unique among invoices and credit notes alike (the file names
 * of both share one folder), and its lines, tax groups and deliveries use the invoices' tables and outbox.
 * Existing databases are upgraded in place: every stored invoice is `issued`, with nothing credited.
 *
 *  - invoices: kind, credits_invoice_id, reason, issued_by_user_id, reinvoiced (JSON list of order
 *    numbers a credit note reopened), and on invoices the status and the sum of their credit notes' totals;
 *  - invoice_lines / invoice_tax_groups: what has been credited so far (cumulative, §8);
 *  - sequences: the owner's own credit-note counter (prefix, next value, how many it issued).
 */
import type { Knex } from 'knex';

// knex types its client as any
const isSqlite = (knex: Knex) => !['mysql', 'mysql2'].includes(String((knex.client as { config: { client: unknown } }).config.client));

/**
 * A nullable column referencing another table. knex adds a foreign key on SQLite by rebuilding the table,
 * which fails once other tables' rows refer to it; SQLite's own ADD COLUMN … REFERENCES does not rebuild.
 */
async function addReference(knex: Knex, table: string, column: string, type: 'bigint' | 'integer', target: string): Promise<void> {
  if (isSqlite(knex)) {
    await knex.raw(`ALTER TABLE ?? ADD COLUMN ?? ${type} NULL REFERENCES ??(id)`, [table, column, target]);
    return;
  }
  await knex.schema.alterTable(table, (t) => {
    (type === 'bigint' ? t.bigInteger(column) : t.integer(column)).unsigned().nullable().references('id').inTable(target);
  });
}

export async function up(knex: Knex): Promise<void> {
  await addReference(knex, 'invoices', 'credits_invoice_id', 'bigint', 'invoices');
  await addReference(knex, 'invoices', 'issued_by_user_id', 'integer', 'users');
  await knex.schema.alterTable('invoices', (t) => {
    t.string('kind', 12).notNullable().defaultTo('invoice'); // invoice | credit_note
    t.string('reason', 255).nullable();
    t.text('reinvoiced').nullable();
    t.string('status', 20).notNullable().defaultTo('issued'); // issued | partially_credited | credited
    t.bigInteger('credited_minor').notNullable().defaultTo(0);
    t.index(['credits_invoice_id']);
    t.index(['kind', 'company_id']);
  });
  await knex.schema.alterTable('invoice_lines', (t) => {
    t.integer('credited_quantity').notNullable().defaultTo(0);
    t.bigInteger('credited_net_minor').notNullable().defaultTo(0);
  });
  await knex.schema.alterTable('invoice_tax_groups', (t) => {
    t.bigInteger('credited_net_minor').notNullable().defaultTo(0);
    t.bigInteger('credited_tax_minor').notNullable().defaultTo(0);
  });
  await knex.schema.alterTable('sequences', (t) => {
    // null: the owner's code + "-CN-"
    t.string('credit_note_prefix', 32).nullable();
    t.bigInteger('credit_note_next').notNullable().defaultTo(1);
    t.bigInteger('credit_notes_issued').notNullable().defaultTo(0);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sequences', (t) => {
    t.dropColumn('credit_note_prefix');
    t.dropColumn('credit_note_next');
    t.dropColumn('credit_notes_issued');
  });
  await knex.schema.alterTable('invoice_tax_groups', (t) => {
    t.dropColumn('credited_net_minor');
    t.dropColumn('credited_tax_minor');
  });
  await knex.schema.alterTable('invoice_lines', (t) => {
    t.dropColumn('credited_quantity');
    t.dropColumn('credited_net_minor');
  });
  await knex.schema.alterTable('invoices', (t) => {
    t.dropIndex(['kind', 'company_id']);
    t.dropIndex(['credits_invoice_id']);
    if (!isSqlite(knex)) {
      t.dropForeign(['credits_invoice_id']);
      t.dropForeign(['issued_by_user_id']);
    }
    for (const c of ['kind', 'credits_invoice_id', 'reason', 'issued_by_user_id', 'reinvoiced', 'status', 'credited_minor']) t.dropColumn(c);
  });
}
