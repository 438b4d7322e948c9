/**
 * The whole data model of SPEC §1–4 (+ API tokens for §7). Runs unchanged on MySQL/MariaDB and SQLite.
 *
 * Conventions:
 *  - instants are BIGINT epoch milliseconds (UTC) in `*_at` columns: exact and identical on both databases;
 *  - calendar dates are 'YYYY-MM-DD' strings;
 *  - money is BIGINT minor units (`*_minor`), unit prices BIGINT ten-thousandths (`*_e4`), tax rates INT
 *    basis points (`*_bp`): never floating point;
 *  - JSON documents (addresses, integration settings, reports) are TEXT holding JSON.
 */
import type { Knex } from 'knex';

/** MySQL/MariaDB: full Unicode (utf8mb4) and binary collation, so keys compare as they do on SQLite. */
function utf8(knex: Knex, t: Knex.CreateTableBuilder): void {
  // knex types its client as any
  const client = String((knex.client as { config: { client: unknown } }).config.client);
  if (client !== 'mysql2' && client !== 'mysql') return;
  t.charset('utf8mb4');
  t.collate('utf8mb4_bin');
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('companies', (t) => {
    utf8(knex, t);
    t.increments('id');
    t.string('code', 32).notNullable().unique();
    t.string('name', 255).notNullable();
    t.string('type', 20).notNullable();
    t.integer('parent_id').unsigned().nullable().references('id').inTable('companies');
    t.string('timezone', 64).notNullable().defaultTo('Europe/London');
    t.string('email', 254).nullable();
    t.string('trade_tier', 64).nullable();
    t.string('vat_number', 32).nullable();
    t.string('endpoint_scheme', 8).nullable();
    t.string('endpoint_id', 128).nullable();
    t.text('address').nullable(); // JSON { lines, city, postcode, country }
    t.boolean('shared_sequence').notNullable().defaultTo(false);
    t.string('pricing_strategy', 64).notNullable().defaultTo('default');
    // The Invoicing section (payment details and logo printed on invoices raised against this company)
    t.string('inv_currency', 3).nullable();
    t.integer('payment_terms_days').notNullable().defaultTo(30);
    t.text('payment_details').nullable();
    t.string('iban', 34).nullable();
    t.string('bic', 11).nullable();
    t.string('logo_sha256', 64).nullable();
    t.string('layout', 12).notNullable().defaultTo('combined');
    // Bumped by every invoicing transaction of this company: the row lock that serialises its runs
    t.bigInteger('run_count').notNullable().defaultTo(0);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.index(['parent_id']);
  });

  // Content-addressed binary data (logos), shared by companies and invoice snapshots.
  await knex.schema.createTable('blobs', (t) => {
    utf8(knex, t);
    t.string('sha256', 64).primary();
    t.string('mime', 64).notNullable();
    t.text('data_base64', 'mediumtext').notNullable();
  });

  await knex.schema.createTable('users', (t) => {
    utf8(knex, t);
    t.increments('id');
    t.string('email', 254).notNullable().unique();
    t.string('name', 255).notNullable();
    t.integer('primary_company_id').unsigned().nullable().references('id').inTable('companies');
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
  });

  await knex.schema.createTable('api_tokens', (t) => {
    utf8(knex, t);
    t.increments('id');
    t.string('token_sha256', 64).notNullable().unique();
    t.string('label', 255).notNullable();
    // null: an admin token (sees everything); else the company it is scoped to (and those below it)
    t.integer('company_id').unsigned().nullable().references('id').inTable('companies');
    t.bigInteger('created_at').notNullable();
  });

  await knex.schema.createTable('products', (t) => {
    utf8(knex, t);
    t.increments('id');
    t.string('sku', 64).notNullable().unique();
    t.string('name', 255).notNullable();
    t.integer('tax_rate_bp').notNullable();
    t.bigInteger('cost_price_e4').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
  });

  await knex.schema.createTable('product_tier_prices', (t) => {
    utf8(knex, t);
    t.integer('product_id').unsigned().notNullable().references('id').inTable('products');
    t.string('tier', 64).notNullable();
    t.bigInteger('price_e4').notNullable();
    t.primary(['product_id', 'tier']);
  });

  await knex.schema.createTable('sequences', (t) => {
    utf8(knex, t);
    t.increments('id');
    t.integer('owner_company_id').unsigned().notNullable().unique().references('id').inTable('companies');
    t.string('prefix', 32).notNullable();
    t.integer('padding').notNullable().defaultTo(6);
    t.bigInteger('next_value').notNullable().defaultTo(1);
    // Numbers issued so far; while 0, prefix/padding/start may still change
    t.bigInteger('issued').notNullable().defaultTo(0);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
  });

  await knex.schema.createTable('integrations', (t) => {
    utf8(knex, t);
    t.increments('id');
    t.integer('company_id').unsigned().notNullable().references('id').inTable('companies');
    t.string('type', 32).notNullable();
    t.boolean('enabled').notNullable().defaultTo(false);
    t.boolean('include_orders_with_errors').notNullable().defaultTo(false);
    t.string('starting_from', 40).nullable(); // ISO date or date-time as configured
    t.string('schedule', 128).nullable(); // null: the seed's default (weekly)
    t.bigInteger('next_invoice_at').nullable();
    t.text('settings').notNullable(); // JSON: type-specific settings
    t.bigInteger('last_run_at').nullable();
    t.text('last_result', 'mediumtext').nullable(); // JSON summary of the last run
    // Scheduler lease: a worker owns the integration until lease_until
    t.string('lease_owner', 64).nullable();
    t.bigInteger('lease_until').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.unique(['company_id', 'type']);
    t.index(['enabled', 'next_invoice_at']);
  });

  await knex.schema.createTable('runs', (t) => {
    utf8(knex, t);
    t.bigIncrements('id');
    t.integer('company_id').unsigned().notNullable().references('id').inTable('companies');
    t.integer('integration_id').unsigned().nullable().references('id').inTable('integrations');
    t.string('mode', 10).notNullable(); // auto | manual
    t.integer('user_id').unsigned().nullable().references('id').inTable('users');
    t.string('status', 12).notNullable(); // running | ok | failed
    t.bigInteger('as_of').notNullable();
    t.bigInteger('started_at').notNullable();
    t.bigInteger('finished_at').nullable();
    t.text('report', 'mediumtext').nullable(); // JSON run report (a large run lists many invoices)
    t.text('error').nullable();
    t.index(['company_id', 'started_at']);
  });

  await knex.schema.createTable('invoices', (t) => {
    utf8(knex, t);
    t.bigIncrements('id');
    t.string('number', 64).notNullable().unique();
    t.integer('company_id').unsigned().notNullable().references('id').inTable('companies');
    t.integer('seller_id').unsigned().notNullable().references('id').inTable('companies');
    t.integer('sequence_owner_id').unsigned().notNullable().references('id').inTable('companies');
    t.bigInteger('run_id').unsigned().nullable().references('id').inTable('runs');
    t.string('mode', 10).notNullable();
    t.string('currency', 3).notNullable();
    t.string('layout', 12).notNullable();
    t.string('issue_date', 10).notNullable();
    t.string('due_date', 10).notNullable();
    t.bigInteger('net_minor').notNullable();
    t.bigInteger('tax_minor').notNullable();
    t.bigInteger('total_minor').notNullable();
    t.integer('line_count').notNullable();
    t.integer('order_count').notNullable();
    // Seller, buyer and payment details as they were when the invoice was issued (JSON), so that the
    // PDF and XML rendered later are identical to the ones delivered
    t.text('snapshot', 'mediumtext').notNullable();
    t.bigInteger('created_at').notNullable();
    t.index(['company_id', 'created_at']);
  });

  await knex.schema.createTable('orders', (t) => {
    utf8(knex, t);
    t.bigIncrements('id');
    t.integer('company_id').unsigned().notNullable().references('id').inTable('companies');
    t.string('number', 64).notNullable();
    t.string('source', 16).notNullable();
    t.string('status', 16).notNullable();
    t.boolean('on_hold').notNullable().defaultTo(false);
    t.boolean('has_errors').notNullable().defaultTo(false);
    t.text('error_text').nullable();
    t.boolean('unique_invoice').notNullable().defaultTo(false);
    t.string('relating_to', 255).nullable();
    t.string('currency', 3).notNullable();
    t.bigInteger('shipping_minor').notNullable().defaultTo(0);
    t.bigInteger('created_at').notNullable();
    t.bigInteger('dispatched_at').nullable();
    t.bigInteger('invoice_id').unsigned().nullable().references('id').inTable('invoices');
    t.bigInteger('updated_at').notNullable();
    t.unique(['company_id', 'number']);
    // Eligibility scans: a company's not-yet-invoiced orders
    t.index(['company_id', 'invoice_id', 'created_at']);
    t.index(['invoice_id']);
    t.index(['created_at']);
  });

  // Keyed by (order, position): items are always read by order, and one index less makes bulk loads faster
  await knex.schema.createTable('order_items', (t) => {
    utf8(knex, t);
    t.bigInteger('order_id').unsigned().notNullable().references('id').inTable('orders');
    t.integer('position').notNullable();
    t.string('sku', 64).notNullable();
    t.string('description', 1000).notNullable();
    t.integer('quantity').notNullable();
    t.bigInteger('unit_cost_price_e4').notNullable();
    t.integer('tax_rate_bp').notNullable();
    t.primary(['order_id', 'position']);
  });

  await knex.schema.createTable('invoice_lines', (t) => {
    utf8(knex, t);
    t.bigInteger('invoice_id').unsigned().notNullable().references('id').inTable('invoices');
    t.integer('position').notNullable();
    t.bigInteger('order_id').unsigned().notNullable().references('id').inTable('orders');
    t.string('order_number', 64).notNullable();
    t.string('sku', 64).notNullable();
    t.string('description', 1300).notNullable();
    t.integer('quantity').notNullable();
    t.bigInteger('unit_price_e4').notNullable();
    t.integer('tax_rate_bp').notNullable();
    t.bigInteger('shipping_minor').nullable();
    t.bigInteger('net_minor').notNullable();
    t.primary(['invoice_id', 'position']);
    t.index(['order_id']);
  });

  await knex.schema.createTable('invoice_tax_groups', (t) => {
    utf8(knex, t);
    t.bigInteger('invoice_id').unsigned().notNullable().references('id').inTable('invoices');
    t.integer('tax_rate_bp').notNullable();
    t.bigInteger('net_minor').notNullable();
    t.bigInteger('tax_minor').notNullable();
    t.primary(['invoice_id', 'tax_rate_bp']);
  });

  // The outbox: one row per (invoice, integration); the delivery worker claims, performs and records it.
  await knex.schema.createTable('deliveries', (t) => {
    utf8(knex, t);
    t.bigIncrements('id');
    t.bigInteger('invoice_id').unsigned().notNullable().references('id').inTable('invoices');
    t.integer('integration_id').unsigned().notNullable().references('id').inTable('integrations');
    t.string('status', 10).notNullable(); // pending | sending | sent | failed
    t.integer('attempts').notNullable().defaultTo(0);
    t.bigInteger('next_attempt_at').nullable(); // failed and retryable: when to try again; null: final
    t.bigInteger('claimed_until').nullable(); // sending: the claim expires then (crash recovery)
    t.text('last_error').nullable();
    t.text('receipt').nullable(); // SMTP message id / remote paths
    t.bigInteger('sent_at').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.unique(['invoice_id', 'integration_id']);
    t.index(['integration_id', 'status']);
    t.index(['status', 'next_attempt_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'deliveries',
    'invoice_tax_groups',
    'invoice_lines',
    'order_items',
    'orders',
    'invoices',
    'runs',
    'integrations',
    'sequences',
    'product_tier_prices',
    'products',
    'api_tokens',
    'users',
    'blobs',
    'companies',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
