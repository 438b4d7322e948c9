/**
 * The admin page (SPEC §10) in real headless Chromium, against `serve` started as a real process on a free
 * port, with a real SMTP server, on both databases. The page is driven by its accessible names (the
 * contract): the field `Token`, the buttons `Sign in`, `Preview run`, `Run now`, `Retry`, `Sign out`, the
 * links named by company code and invoice number, `Download XML`. Each page's screenshot is kept in
 * test-artifacts/admin-page/.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/chromium.js';
import { parseJsonOutput, projectRoot, runCli } from './support/cli.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from './support/databases.js';
import { dropship, order, product, supplier, writeJson, type ImportDoc } from './support/fixtures.js';
import { startServe, type RunningServe } from './support/serve.js';
import { startSmtpServer, type TestSmtpServer } from './support/smtp-server.js';

const SHOTS = path.join(projectRoot, 'test-artifacts', 'admin-page');
const email = (to: string) => ({ type: 'pdf-emailer', enabled: true, emailTo: to });

function dataset(): ImportDoc {
  return {
    companies: [
      { code: 'ADM1', name: 'Admin One', type: 'admin', parent: null },
      supplier('SUPA', { parent: 'ADM1', sequence: { prefix: 'SUPA-', padding: 6, next: 1 } }),
      dropship('RETB', 'SUPA', { name: 'Retailer B — Łódź', integrations: [email('ap@retb.example')] }),
      dropship('RETC', 'SUPA', { integrations: [email('ap@retc.example')] }),
      dropship('RETD', 'SUPA', { integrations: [email('ap@retd.example')] }),
      supplier('SUPX', { parent: null }),
      dropship('RETX', 'SUPX', { integrations: [email('ap@retx.example')] }),
    ],
    users: [{ email: 'ann@supa.example', name: 'Ann', primaryCompany: 'SUPA' }],
    products: [product('TS-WHT-M')],
    orders: [
      order('RETB', 'B-1'),
      order('RETB', 'B-2', { status: 'processing' }),
      order('RETB', 'B-3', { onHold: true }),
      order('RETC', 'C-1'),
      order('RETD', 'D-1'),
      order('RETX', 'X-1'),
    ],
  };
}

let browser: Browser;

beforeAll(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

describe.each(databaseKinds)('admin page on %s', (kind) => {
  let t: TestDatabase;
  let smtp: TestSmtpServer;
  let serve: RunningServe;
  let env: Record<string, string>;
  const tokens: Record<'admin' | 'retb' | 'supa', string> = { admin: '', retb: '', supa: '' };

  const cli = (args: string[]) => runCli(args, env);
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${kind}-${name}.png`), fullPage: true });
  const newPage = async (options: Parameters<Browser['newContext']>[0] = {}): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 }, ...options });
    return { context, page: await context.newPage() };
  };
  const signIn = async (page: Page, token: string) => {
    await page.goto(`${serve.url}/admin`);
    await page.getByLabel('Token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/admin/companies');
  };
  const linkCount = (page: Page, name: string) => page.getByRole('link', { name, exact: true }).count();
  const mainText = (page: Page) => page.locator('main').innerText();
  const runCount = async () => Number(((await t.db('runs').count({ n: '*' }).first()) as { n: number | string }).n);
  /**
   * A page with the PDF in it. Chromium's PDF viewer draws into its frame a moment after the bytes arrive,
   * and only inside the viewport: the viewport is made as tall as the page instead of a full-page capture.
   */
  const shotWithPdf = async (page: Page, name: string) => {
    const { width, height } = page.viewportSize()!;
    for (let i = 0; i < 3; i++) {
      const needed = Number(await page.evaluate('document.documentElement.scrollHeight'));
      if (needed === page.viewportSize()!.height) break;
      await page.setViewportSize({ width, height: needed });
    }
    for (let i = 0; i < 50 && !page.frames().some((f) => f.url().startsWith('chrome-extension://')); i++) await page.waitForTimeout(100);
    await page.waitForTimeout(1200);
    await page.screenshot({ path: path.join(SHOTS, `${kind}-${name}.png`) });
    await page.setViewportSize({ width, height });
  };

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    smtp = await startSmtpServer();
    env = { DATABASE_URL: t.url, OMS_DATA_DIR: t.dataDir, SMTP_URL: smtp.url, OMS_LOG_LEVEL: 'warn' };
    const loaded = await cli(['load', writeJson(dataset())]);
    expect(loaded.code, loaded.stderr).toBe(0);
    for (const [name, company] of [
      ['admin', null],
      ['retb', 'RETB'],
      ['supa', 'SUPA'],
    ] as const) {
      const r = await cli(['tokens', 'create', '--label', `${name} token`, ...(company ? ['--company', company] : []), '--json']);
      expect(r.code, r.stderr).toBe(0);
      tokens[name] = parseJsonOutput<{ token: string }>(r).token;
    }
    serve = await startServe(env);
  });

  afterAll(async () => {
    await serve?.stop();
    await smtp?.stop();
    await t?.destroy();
  });

  it('an admin signs in, sees the tree, previews and runs a company, opens the invoice with its PDF, downloads the XML and signs out', async () => {
    const { context, page } = await newPage();
    await page.goto(`${serve.url}/admin`);
    expect(page.url()).toBe(`${serve.url}/admin/sign-in`);
    await page.getByLabel('Token').fill(tokens.admin);
    await shot(page, 'sign-in');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/admin/companies');

    // The session: an HttpOnly, SameSite=Strict cookie; the database holds only its hash
    const session = (await context.cookies()).find((c) => c.name === 'oms_admin_session')!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin' });
    const stored = await t.db('admin_sessions').select<Array<{ session_sha256: string }>>('session_sha256');
    expect(stored.map((s) => s.session_sha256)).toContain(createHash('sha256').update(session.value).digest('hex'));
    expect(JSON.stringify(stored)).not.toContain(session.value);

    // The tree, each company a link named by its code; schedules, next runs in local time and UTC, open orders
    for (const code of ['ADM1', 'SUPA', 'RETB', 'RETC', 'SUPX', 'RETX']) expect(await linkCount(page, code), code).toBe(1);
    const retb = page.locator('li.company').filter({ has: page.locator(':scope > .company-head').getByRole('link', { name: 'RETB', exact: true }) });
    const retbText = await retb.innerText();
    expect(retbText).toContain('pdf-emailer');
    expect(retbText).toContain('weekly');
    expect(retbText).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} (GMT|BST)/);
    expect(retbText).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    expect(retbText).toContain('Open orders: 3 — ready 1, on hold 1, not dispatched 1');
    await shot(page, 'companies');

    await page.getByRole('link', { name: 'RETB', exact: true }).click();
    await page.waitForURL('**/admin/companies/RETB');
    await shot(page, 'company');

    // Preview: what a run would invoice, the number it would take, each skip count; nothing written
    await page.getByRole('button', { name: 'Preview run' }).click();
    await page.waitForURL('**/admin/companies/RETB/preview*');
    const preview = await mainText(page);
    expect(preview).toContain('Nothing was written');
    expect(preview).toMatch(/SUPA-000001\s+B-1\s+1\s+19\.99 GBP\s+4\.00 GBP\s+23\.99 GBP/);
    expect(preview).toMatch(/on hold\s+1/);
    expect(preview).toMatch(/not dispatched\s+1/);
    expect(preview).toMatch(/with errors\s+0/);
    await shot(page, 'preview');
    expect(parseJsonOutput<unknown[]>(await cli(['invoices', 'list', '--json']))).toEqual([]);
    expect(smtp.messages).toHaveLength(0);

    // Run now: RETB's enabled integration runs (this token has no user), and the report shows it
    await page.goBack();
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.waitForURL('**/admin/companies/RETB/runs');
    const report = await mainText(page);
    expect(report).toContain('1 invoice issued, 1 of 1 deliveries sent');
    expect(report).toMatch(/SUPA-000001\s+pdf-emailer\s+sent/);
    expect(smtp.messages.map((m) => m.envelope.rcptTo)).toEqual([['ap@retb.example']]);
    await shot(page, 'run-report');

    // The invoice: its PDF in the page (the frame's URL answers application/pdf, the bytes of `invoices pdf`)
    const pdfAnswer = page.waitForResponse((r) => r.url() === `${serve.url}/admin/invoices/SUPA-000001/pdf` && r.headers()['content-type'] !== undefined);
    await page.getByRole('link', { name: 'SUPA-000001', exact: true }).click();
    await page.waitForURL('**/admin/invoices/SUPA-000001');
    const answered = await pdfAnswer;
    expect(answered.status()).toBe(200);
    expect(answered.headers()['content-type']).toBe('application/pdf');
    const frameSrc = await page.locator('iframe').getAttribute('src');
    expect(page.frames().map((f) => f.url())).toContain(new URL(frameSrc!, page.url()).href);
    const pdfFile = path.join(t.dataDir, 'cli.pdf');
    expect((await cli(['invoices', 'pdf', 'SUPA-000001', '-o', pdfFile])).code).toBe(0);
    const framed = await page.request.get(new URL(frameSrc!, page.url()).href);
    expect(framed.headers()['content-type']).toBe('application/pdf');
    expect(Buffer.compare(await framed.body(), fs.readFileSync(pdfFile))).toBe(0);
    const invoicePage = await mainText(page);
    expect(invoicePage).toMatch(/pdf-emailer\s+sent/);
    expect(invoicePage).toMatch(/attempt 1: sent — <invoice-SUPA-000001@/);
    expect(invoicePage).toContain('T-shirt white M');

    // Download XML: the bytes of `invoices xml`
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download XML' }).click()]);
    const xmlFile = path.join(t.dataDir, 'cli.xml');
    expect((await cli(['invoices', 'xml', 'SUPA-000001', '-o', xmlFile])).code).toBe(0);
    expect(download.suggestedFilename()).toBe('SUPA-000001.xml');
    expect(Buffer.compare(fs.readFileSync(await download.path()), fs.readFileSync(xmlFile))).toBe(0);
    await shotWithPdf(page, 'invoice');

    // The list, filtered
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Invoices' }).click();
    await page.getByLabel('Company').selectOption('RETB');
    await page.getByLabel('Status').selectOption('issued');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL('**/admin/invoices?*');
    expect(await linkCount(page, 'SUPA-000001')).toBe(1);
    await shot(page, 'invoices');
    for (const [filter, count] of [
      ['status=credited', 0],
      ['status=partially_credited', 0],
      ['delivery=failed', 0],
      ['company=RETC', 0],
      ['company=RETB&status=issued', 1],
    ] as const) {
      await page.goto(`${serve.url}/admin/invoices?${filter}`);
      expect(await linkCount(page, 'SUPA-000001'), filter).toBe(count);
    }
    // A credit note for one unit: the invoice is partially credited, and the page says so
    const credited = await cli(['credit-notes', 'create', '--invoice', 'SUPA-000001', '--line', '1:1', '--reason', 'One T-shirt returned', '--json']);
    expect(credited.code, credited.stderr).toBe(0);
    const note = parseJsonOutput<{ number: string }>(credited).number;
    for (const [filter, count] of [
      ['status=partially_credited', 1],
      ['status=issued', 0],
      ['status=credited', 0],
    ] as const) {
      await page.goto(`${serve.url}/admin/invoices?${filter}`);
      expect(await linkCount(page, 'SUPA-000001'), filter).toBe(count);
    }
    await page.goto(`${serve.url}/admin/invoices/SUPA-000001`);
    const creditedPage = await mainText(page);
    expect(creditedPage).toContain('partially credited');
    expect(creditedPage).toContain(note);
    await shotWithPdf(page, 'invoice-credited');

    // Sign out ends the session on the server: the old cookie opens nothing any more
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/admin/sign-in');
    const replay = await fetch(`${serve.url}/admin/companies`, { headers: { cookie: `oms_admin_session=${session.value}` }, redirect: 'manual' });
    expect(replay.status).toBe(303);
    expect(replay.headers.get('location')).toMatch(/^\/admin\/sign-in/);
    await page.goto(`${serve.url}/admin/invoices/SUPA-000001`);
    expect(page.url()).toMatch(/\/admin\/sign-in\?next=/);
    await context.close();
  });

  it('a delivery the SMTP server refuses shows as failed, with its reason, on the invoice and in the queue, and Retry sends it', async () => {
    const { context, page } = await newPage();
    await signIn(page, tokens.admin);
    smtp.failNext(2, 550);

    // RETC's run: its email is refused for good (550)
    await page.getByRole('link', { name: 'RETC', exact: true }).click();
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.waitForURL('**/admin/companies/RETC/runs');
    expect(await mainText(page)).toMatch(/SUPA-000002\s+pdf-emailer\s+failed\s+.*Rejected by test server/);

    await page.getByRole('link', { name: 'SUPA-000002', exact: true }).click();
    const failedInvoice = await mainText(page);
    expect(failedInvoice).toMatch(/pdf-emailer\s+failed\s+1\s+.*Rejected by test server.*\(permanent failure: not retried\)/);
    await shotWithPdf(page, 'invoice-failed-delivery');

    // RETX's run fails too; both are in the one queue, newest first
    await page.goto(`${serve.url}/admin/companies/RETX`);
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.waitForURL('**/admin/companies/RETX/runs');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Failed deliveries' }).click();
    const rows = page.locator('tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).innerText()).toContain('SUPX-000001');
    expect(await rows.nth(1).innerText()).toContain('SUPA-000002');
    expect(await rows.nth(1).innerText()).toContain('Rejected by test server');
    await shot(page, 'failed-deliveries');

    // Retry from the queue: the SMTP server accepts it now
    await page.getByRole('row').filter({ hasText: 'SUPA-000002' }).getByRole('button', { name: 'Retry' }).click();
    await page.waitForURL('**/admin/deliveries/failed?retried=*');
    expect(await mainText(page)).toMatch(/\(SUPA-000002 via pdf-emailer\) was retried: sent/);
    expect(await page.locator('tbody tr').count()).toBe(1);
    expect(smtp.messages.map((m) => m.envelope.rcptTo[0])).toContain('ap@retc.example');

    // Retry from the invoice page
    await page.getByRole('link', { name: 'SUPX-000001', exact: true }).click();
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.waitForURL('**/admin/invoices/SUPX-000001?retried=*');
    const retried = await mainText(page);
    expect(retried).toMatch(/was retried: sent/);
    expect(retried).toMatch(/pdf-emailer\s+sent/);
    // The timeline keeps both attempts: the refusal and the retry that went through
    expect(retried).toMatch(/attempt 1: failed — .*Rejected by test server[\s\S]*attempt 1: sent — <invoice-SUPX-000001@/);
    expect(await page.getByRole('button', { name: 'Retry' }).count()).toBe(0);
    const deliveries = parseJsonOutput<Array<{ invoice: string; status: string }>>(await cli(['deliveries', 'list', '--json']));
    expect(deliveries.map((d) => `${d.invoice}:${d.status}`).sort()).toEqual([
      'SUPA-000001:sent',
      'SUPA-000002:sent',
      'SUPA-CN-000001:sent',
      'SUPX-000001:sent',
    ]);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Failed deliveries' }).click();
    expect(await mainText(page)).toContain('No failed deliveries.');
    await context.close();
  });

  it('Create credit note: refused without a reason, a partial credit by line (previewed first), then the rest; each delivered and listed with its PDF', async () => {
    const { context, page } = await newPage();
    await signIn(page, tokens.admin);
    await page.goto(`${serve.url}/admin/invoices/SUPA-000002`);
    await page.getByRole('button', { name: 'Create credit note' }).click();
    await page.waitForURL('**/admin/invoices/SUPA-000002/credit-note*');
    const notes = async () => Number(((await t.db('invoices').where('kind', 'credit_note').count({ n: '*' }).first()) as { n: number | string }).n);
    const before = await notes();

    // A blank reason is refused by the server, which says why and issues nothing
    await page.getByLabel('Reason').fill('   ');
    await page.getByRole('button', { name: 'Issue credit note' }).click();
    expect(await mainText(page)).toMatch(/not issued[\s\S]*Reason: a reason is required/);
    expect(await notes()).toBe(before);

    // One unit of line 1, previewed (nothing written), then issued
    await page.getByLabel('Reason').fill('One T-shirt came back');
    await page.getByLabel('Units of line 1 to credit').fill('1');
    await page.getByRole('button', { name: 'Preview credit note' }).click();
    expect(await mainText(page)).toMatch(/Preview \(nothing was written\): it would credit 1 line\(s\), net 7\.50, tax 1\.50, total 9\.00 GBP/);
    expect(await notes()).toBe(before);
    await shot(page, 'credit-note-form');
    await page.getByRole('button', { name: 'Issue credit note' }).click();
    await page.waitForURL('**/admin/invoices/SUPA-000002?credited=*');
    const partly = await mainText(page);
    expect(partly).toContain('Credit note SUPA-CN-000002 was issued.');
    expect(partly).toContain('partially credited');
    expect(partly).toMatch(/SUPA-CN-000002\s+\S+\s+One T-shirt came back\s+9\.00 GBP\s+pdf-emailer: sent/);
    const pdf = await page.request.get(`${serve.url}/admin/credit-notes/SUPA-CN-000002/pdf`);
    expect([pdf.status(), pdf.headers()['content-type']]).toEqual([200, 'application/pdf']);
    expect(await page.getByRole('link', { name: 'PDF of SUPA-CN-000002' }).count()).toBe(1);

    // The rest of the invoice: no line chosen credits whatever is left
    await page.getByRole('button', { name: 'Create credit note' }).click();
    await page.getByLabel('Reason').fill('Order cancelled');
    await page.getByRole('button', { name: 'Issue credit note' }).click();
    await page.waitForURL('**/admin/invoices/SUPA-000002?credited=*');
    const credited = await mainText(page);
    expect(credited).toContain('Credit note SUPA-CN-000003 was issued.');
    expect(credited).toMatch(/Status\s+credited \(23\.99 GBP credited\)/);
    expect(await page.getByRole('button', { name: 'Create credit note' }).count()).toBe(0);
    await shot(page, 'invoice-credited');
    const mailed = smtp.messages
      .map((m) => m.raw.toString('utf8'))
      .filter((raw) => /^Subject: Credit note SUPA-CN-00000[23] for invoice SUPA-000002/m.test(raw));
    expect(mailed).toHaveLength(2);
    await context.close();
  });

  it('a company token sees only its company and those below it; anything else, even by URL, is not found', async () => {
    const { context, page } = await newPage();
    await signIn(page, tokens.retb);
    expect(await linkCount(page, 'RETB')).toBe(1);
    for (const code of ['ADM1', 'SUPA', 'RETC', 'SUPX', 'RETX']) expect(await linkCount(page, code), code).toBe(0);
    for (const url of [
      '/admin/companies/RETC',
      '/admin/companies/RETX',
      '/admin/companies/SUPA',
      '/admin/companies/RETC/preview',
      '/admin/invoices/SUPA-000002',
      '/admin/invoices/SUPX-000001',
      '/admin/invoices/NO-SUCH-1',
      '/admin/no-such-page',
    ]) {
      const answer = await page.goto(`${serve.url}${url}`);
      expect(answer!.status(), url).toBe(404);
      expect(await page.getByRole('heading', { name: 'Not found' }).count(), url).toBe(1);
    }
    await shot(page, 'not-found');
    for (const url of ['/admin/invoices/SUPA-000002/pdf', '/admin/invoices/SUPA-000002/xml']) {
      const answer = await page.request.get(`${serve.url}${url}`);
      expect(answer.status(), url).toBe(404);
      expect(answer.headers()['content-type'], url).toMatch(/^text\/html/);
    }
    // Its own invoice, and only that one, in the list
    await page.goto(`${serve.url}/admin/invoices`);
    expect(await linkCount(page, 'SUPA-000001')).toBe(1);
    expect(await linkCount(page, 'SUPA-000002')).toBe(0);
    expect((await page.goto(`${serve.url}/admin/invoices?company=RETC`))!.status()).toBe(400);
    // Nor can it start another company's run or retry its delivery, even with a valid form
    await page.goto(`${serve.url}/admin/companies/RETB`);
    const csrf = (await page.locator('input[name="_csrf"]').first().getAttribute('value'))!;
    const runs = await runCount();
    const otherDelivery = (
      (await t.db('deliveries as d').join('invoices as i', 'i.id', 'd.invoice_id').where('i.number', 'SUPA-000002').select('d.id').first()) as {
        id: number;
      }
    ).id;
    for (const url of ['/admin/companies/RETC/runs', `/admin/deliveries/${otherDelivery}/retry`]) {
      const answer = await page.request.post(`${serve.url}${url}`, { form: { _csrf: csrf }, headers: { origin: serve.url } });
      expect(answer.status(), url).toBe(404);
    }
    expect(await runCount()).toBe(runs);
    await context.close();

    // A supplier's token sees its retailers, not another supplier's
    const supplierView = await newPage();
    await signIn(supplierView.page, tokens.supa);
    for (const code of ['SUPA', 'RETB', 'RETC']) expect(await linkCount(supplierView.page, code), code).toBe(1);
    for (const code of ['ADM1', 'SUPX', 'RETX']) expect(await linkCount(supplierView.page, code), code).toBe(0);
    await supplierView.context.close();
  });

  it('refuses a form without a valid CSRF token, or posted from another site, and changes nothing', async () => {
    const { context, page } = await newPage();
    await signIn(page, tokens.admin);
    await page.goto(`${serve.url}/admin/companies/RETB`);
    const csrf = (await page.locator('input[name="_csrf"]').first().getAttribute('value'))!;
    const runs = await runCount();
    for (const form of [{}, { _csrf: 'forged-token' }] as Array<Record<string, string>>) {
      const answer = await page.request.post(`${serve.url}/admin/companies/RETB/runs`, { form });
      expect(answer.status(), JSON.stringify(form)).toBe(403);
      expect(await answer.text()).toContain('This form was refused');
    }
    const signOut = await page.request.post(`${serve.url}/admin/sign-out`, { form: {} });
    expect(signOut.status()).toBe(403);
    // `Origin: null` (what a browser sends from a page with `Referrer-Policy: no-referrer`) is refused
    // unless the browser also says the form came from this origin
    const opaque = await page.request.post(`${serve.url}/admin/companies/RETB/runs`, { form: { _csrf: csrf }, headers: { origin: 'null' } });
    expect(opaque.status()).toBe(403);
    expect(await runCount()).toBe(runs);
    const ownForm = await page.request.post(`${serve.url}/admin/companies/RETB/runs`, {
      form: { _csrf: csrf },
      headers: { origin: 'null', 'sec-fetch-site': 'same-origin' },
    });
    expect(ownForm.status()).toBe(200);
    expect(await runCount()).toBe(runs + 1);

    // A page on another site posts a form at the admin page, with a valid CSRF token even
    const attacker = http.createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(
        `<!doctype html><title>Win a prize</title><form method="post" action="${serve.url}/admin/companies/RETB/runs">` +
          `<input type="hidden" name="_csrf" value="${csrf}"><button>Claim</button></form>`,
      );
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    try {
      const attackerPage = await context.newPage();
      await attackerPage.goto(`http://localhost:${(attacker.address() as AddressInfo).port}/`);
      const answer = attackerPage.waitForResponse((r) => r.url() === `${serve.url}/admin/companies/RETB/runs`);
      await attackerPage.getByRole('button', { name: 'Claim' }).click();
      expect((await answer).status()).toBe(403);
      expect(await attackerPage.locator('main').innerText()).toContain('came from another site');
      await shot(attackerPage, 'cross-site-refused');
    } finally {
      attacker.close();
    }
    expect(await runCount()).toBe(runs + 1);
    // Still signed in: the refused sign-out did nothing
    await page.goto(`${serve.url}/admin/companies`);
    expect(page.url()).toBe(`${serve.url}/admin/companies`);
    await context.close();
  });

  it("Run now with a token made for a user is a manual run, numbered from that user's primary company", async () => {
    const made = await cli(['tokens', 'create', '--label', 'ann at SUPA', '--company', 'SUPA', '--user', 'ann@supa.example', '--json']);
    expect(made.code, made.stderr).toBe(0);
    const { context, page } = await newPage();
    await signIn(page, parseJsonOutput<{ token: string }>(made).token);
    await page.getByRole('link', { name: 'RETD', exact: true }).click();
    expect(await mainText(page)).toContain('as ann@supa.example (a manual run');
    await page.getByRole('button', { name: 'Preview run' }).click();
    await page.waitForURL('**/admin/companies/RETD/preview*');
    expect(await mainText(page)).toContain('A manual run.');
    await page.goBack();
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.waitForURL('**/admin/companies/RETD/runs');
    const report = await mainText(page);
    expect(report).toContain('A manual run.');
    expect(report).toMatch(/SUPA-\d{6}\s+D-1/);
    const runs = (await t.db('runs as r').join('users as u', 'u.id', 'r.user_id').select<Array<{ mode: string; email: string }>>('r.mode', 'u.email')).map(
      (r) => `${r.mode}:${r.email}`,
    );
    expect(runs).toEqual(['manual:ann@supa.example']);
    await context.close();
  });

  it('a revoked token, or an expired session, is signed out', async () => {
    const created = parseJsonOutput<{ token: string }>(await cli(['tokens', 'create', '--label', 'short-lived', '--json']));
    const { context, page } = await newPage();
    await signIn(page, created.token);
    const id = parseJsonOutput<Array<{ id: number; label: string }>>(await cli(['tokens', 'list', '--json'])).find((x) => x.label === 'short-lived')!.id;
    expect((await cli(['tokens', 'revoke', String(id)])).code).toBe(0);
    await page.goto(`${serve.url}/admin/companies`);
    expect(page.url()).toMatch(/\/admin\/sign-in/);

    await signIn(page, tokens.admin);
    await t.db('admin_sessions').update({ expires_at: Date.now() - 1000 });
    await page.goto(`${serve.url}/admin/companies`);
    expect(page.url()).toMatch(/\/admin\/sign-in/);

    // A wrong token is refused without being repeated back
    await page.getByLabel('Token').fill('oms_not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(await mainText(page)).toContain('This token is not valid');
    expect(await page.content()).not.toContain('oms_not-a-real-token');
    await context.close();
  });

  it('works from the keyboard alone and on a phone-sized screen', async () => {
    const { context, page } = await newPage();
    await page.goto(`${serve.url}/admin`);
    // The token field has the focus (autofocus, once the page has loaded): type, Enter
    await page.waitForFunction("document.activeElement && document.activeElement.id === 'token'");
    await page.keyboard.type(tokens.admin);
    await page.keyboard.press('Enter');
    await page.waitForURL('**/admin/companies');
    const tabTo = async (name: string) => {
      for (let i = 0; i < 60; i++) {
        await page.keyboard.press('Tab');
        if ((await page.evaluate('document.activeElement?.textContent?.trim()')) === name) return;
      }
      throw new Error(`Tab never reached "${name}"`);
    };
    await tabTo('RETB');
    await page.keyboard.press('Enter');
    await page.waitForURL('**/admin/companies/RETB');
    await tabTo('Preview run');
    await page.keyboard.press('Enter');
    await page.waitForURL('**/admin/companies/RETB/preview*');
    await context.close();

    const phone = await newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    await signIn(phone.page, tokens.admin);
    for (const [url, name] of [
      ['/admin/companies', 'phone-companies'],
      ['/admin/invoices/SUPA-000001', 'phone-invoice'],
      ['/admin/deliveries/failed', 'phone-failed-deliveries'],
    ] as const) {
      await phone.page.goto(`${serve.url}${url}`);
      // Nothing wider than the screen but the tables, which scroll inside their own box
      expect(await phone.page.evaluate('document.documentElement.scrollWidth <= window.innerWidth'), url).toBe(true);
      if (url.includes('/invoices/')) await shotWithPdf(phone.page, name);
      else await shot(phone.page, name);
    }
    await phone.context.close();
  });
});
