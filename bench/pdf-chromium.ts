import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { InvoiceDocument, InvoiceParty } from '../src/domain/invoice-document.js';
import { resolveDejaVuPaths } from '../integrations/pdf/fonts/load-font.js';

/**
 * The speed peer: the same invoice as HTML printed by headless Chromium (one browser, one page reused),
 * with the same DejaVu fonts loaded through @font-face from file URLs.
 */
export interface ChromiumPrinter {
  print(doc: InvoiceDocument): Promise<Uint8Array>;
  close(): Promise<void>;
}

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromiumPrinter(executablePath = '/usr/bin/chromium'): Promise<ChromiumPrinter> {
  const browser: Browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  const page: Page = await browser.newPage();
  // A file:// origin, so the page may load the font files through file URLs.
  const dir = mkdtempSync(path.join(tmpdir(), 'oms-pdf-bench-'));
  const blank = path.join(dir, 'blank.html');
  writeFileSync(blank, '<!doctype html><title>bench</title>');
  await page.goto(pathToFileURL(blank).href);
  const fonts = resolveDejaVuPaths();
  const fontCss = `
    @font-face { font-family: 'DejaVu Bench'; src: url('${pathToFileURL(fonts.regular).href}'); font-weight: 400; }
    @font-face { font-family: 'DejaVu Bench'; src: url('${pathToFileURL(fonts.bold).href}'); font-weight: 700; }`;
  return {
    async print(doc) {
      await page.setContent(renderInvoiceHtml(doc, fontCss), { waitUntil: 'load' });
      await page.evaluate('document.fonts.ready.then(() => undefined)');
      return page.pdf({
        format: 'A4',
        printBackground: true,
        displayHeaderFooter: true,
        headerTemplate: '<span></span>',
        footerTemplate: `<div style="font-size:7px;width:100%;padding:0 40px;display:flex;justify-content:space-between;color:#666">
          <span>${escapeHtml(doc.seller.name)} · Invoice ${escapeHtml(doc.number)}</span>
          <span>Page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>`,
        margin: { top: '40px', bottom: '60px', left: '40px', right: '40px' },
      });
    },
    close: () => browser.close(),
  };
}

function renderInvoiceHtml(doc: InvoiceDocument, fontCss: string): string {
  const logo = doc.logo
    ? `<img class="logo" src="data:${doc.logo.mime};base64,${Buffer.from(doc.logo.data).toString('base64')}">`
    : `<h2>${escapeHtml(doc.seller.name)}</h2>`;
  const rows = doc.orders
    .flatMap((order) =>
      order.lines.map(
        (line) => `<tr><td class="n">${line.position}</td><td>${escapeHtml(order.number)}</td><td>${escapeHtml(line.sku)}</td>
          <td>${escapeHtml(line.description)}${line.shipping === null ? '' : `<div class="note">incl. shipping ${line.shipping}</div>`}</td>
          <td class="n">${line.quantity}</td><td class="n">${line.unitPrice}</td><td class="n">${line.taxRate}%</td><td class="n">${line.net}</td></tr>`,
      ),
    )
    .join('');
  const taxRows = doc.taxGroups.map((group) => `<tr><td>${group.rate}%</td><td class="n">${group.net}</td><td class="n">${group.tax}</td></tr>`).join('');
  return `<!doctype html><html><head><meta charset="utf-8"><style>${fontCss}
    body { font-family: 'DejaVu Bench'; font-size: 8pt; margin: 0; }
    .top { display: flex; justify-content: space-between; } .logo { max-width: 200pt; max-height: 64pt; }
    h1 { font-size: 22pt; margin: 0; text-align: right; } .meta td { padding: 1pt 0 1pt 20pt; }
    .parties { display: flex; gap: 24pt; margin: 20pt 0; } .parties > div { flex: 1; }
    table.lines { width: 100%; border-collapse: collapse; } thead th { background: #eee; font-size: 7pt; text-align: left; padding: 4pt 3pt; }
    td { padding: 3.5pt 3pt; vertical-align: top; border-bottom: 0.4pt solid #ccc; } .n { text-align: right; }
    .note { color: #666; font-size: 7pt; } tr { page-break-inside: avoid; }
    .end { display: flex; justify-content: space-between; margin-top: 14pt; page-break-inside: avoid; }
    .total { font-weight: bold; font-size: 10.5pt; }
  </style></head><body>
  <div class="top">${logo}<div><h1>INVOICE</h1><table class="meta">
    <tr><td>Invoice number</td><td class="n"><b>${escapeHtml(doc.number)}</b></td></tr>
    <tr><td>Issue date</td><td class="n">${doc.issueDate}</td></tr><tr><td>Due date</td><td class="n">${doc.dueDate}</td></tr>
    <tr><td>Payment terms</td><td class="n">${doc.payment.termsDays} days</td></tr><tr><td>Currency</td><td class="n">${doc.currency}</td></tr>
  </table></div></div>
  <div class="parties"><div>${renderParty('FROM', doc.seller)}</div><div>${renderParty('BILL TO', doc.buyer)}</div></div>
  <table class="lines"><thead><tr><th>#</th><th>Order</th><th>SKU</th><th>Description</th><th class="n">Qty</th>
    <th class="n">Unit price</th><th class="n">Tax</th><th class="n">Net ${doc.currency}</th></tr></thead><tbody>${rows}</tbody></table>
  <div class="end"><div><b>PAYMENT</b><p>Please pay ${doc.total} ${doc.currency} by ${doc.dueDate}, quoting invoice ${escapeHtml(doc.number)}.</p>
    <p>${escapeHtml(doc.payment.details ?? '')}</p><p>IBAN ${escapeHtml(doc.payment.iban ?? '')}<br>BIC ${escapeHtml(doc.payment.bic ?? '')}</p></div>
    <div><table><tr><th>Tax rate</th><th>Net</th><th>Tax</th></tr>${taxRows}
    <tr><td>Net total</td><td></td><td class="n">${doc.net} ${doc.currency}</td></tr>
    <tr><td>Tax total</td><td></td><td class="n">${doc.tax} ${doc.currency}</td></tr>
    <tr class="total"><td>Total due</td><td></td><td class="n">${doc.total} ${doc.currency}</td></tr></table></div></div>
  </body></html>`;
}

function renderParty(heading: string, party: InvoiceParty): string {
  const lines = [...party.address.lines, `${party.address.city} ${party.address.postcode}`, party.address.country];
  return `<div style="color:#666;font-size:6.5pt"><b>${heading}</b></div><div style="font-size:9.5pt"><b>${escapeHtml(party.name)}</b></div>
    ${lines.map((line) => `<div>${escapeHtml(line)}</div>`).join('')}
    ${party.vatNumber ? `<div>VAT ${escapeHtml(party.vatNumber)}</div>` : ''}${party.email ? `<div>${escapeHtml(party.email)}</div>` : ''}`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
