/**
 * Acceptance test of the Folio window: the reviewer's whole day on the demo workspace, in a real
 * window. Import sample invoices (with one file twice, one that is not an invoice, and a Factur-X
 * PDF written by fixtures/facturx.ts) → open the PDF and see it rendered by pdf.js beside its
 * coding → find the
 * new document in the review queue → open it → correct a suggestion and read the explanation →
 * correct another line as a one-off ("don't learn from this") → approve → sync to the
 * workspace's ledger file → the document shows as posted, and the ledger file holds its
 * reference → … → forget what Folio learned from the document's vendor (refused for a controller,
 * done by the admin, with its counts) → import coding history and see the learned model take it
 * in. A screenshot of each screen goes to FOLIO_SCREENSHOT_DIR.
 *
 * Amounts are compared as the strings the window shows (the UI formats decimal strings exactly,
 * never through a float), so equal strings mean equal amounts.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { $, $$, browser, expect } from '@wdio/globals';
import { facturXPdf, type FacturX } from '../fixtures/facturx.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..', '..');
const screenshots = process.env.FOLIO_SCREENSHOT_DIR ?? 'screenshots';
const workspace = process.env.FOLIO_WORKSPACE ?? '';

/** Two animation frames, so the webview has painted what the DOM holds, then the picture. */
async function shoot(name: string): Promise<void> {
  await browser.executeAsync((done: () => void) =>
    requestAnimationFrame(() => requestAnimationFrame(() => done())),
  );
  await browser.saveScreenshot(path.join(screenshots, name));
}

/** Keys go to whatever has focus; make that the page, not a field. */
async function blur(): Promise<void> {
  await browser.execute(() => (document.activeElement as HTMLElement | null)?.blur());
}

/** What the coding pane shows of one line while it is edited (see `expectEditingFits`). */
interface EditingFit {
  viewport: { width: number; height: number };
  pane: { scrollWidth: number; clientWidth: number };
  /** Parts of the line (and the panels) that do not lie inside the coding panel, or the pane. */
  outside: string[];
  missing: string[];
}

/**
 * While line `lineNumber` is edited, the coding pane does not scroll sideways, and everything a
 * reviewer needs for the line lies inside the visible width of the coding panel: its number,
 * description and net, each editor with the suggestion under it, and its Save and "Don't learn
 * from this correction" controls; the coding and journal panels lie inside the pane.
 */
async function expectEditingFits(lineNumber: number): Promise<EditingFit> {
  const fit = (await browser.execute((n: number) => {
    const pane = document.querySelector('[data-testid="coding-pane"]') as HTMLElement | null;
    const panel = document.querySelector('[data-testid="coding-panel"]') as HTMLElement | null;
    const journal = document.querySelector('[data-testid="journal-panel"]') as HTMLElement | null;
    const line = document.querySelector(`[data-testid="coding-line"][data-line="${n}"]`) as HTMLElement | null;
    const outside: string[] = [];
    const missing: string[] = [];
    const inside = (name: string, el: Element | null | undefined, box: DOMRect | undefined): void => {
      if (!el || !box) {
        missing.push(name);
        return;
      }
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.left < box.left - 1 || r.right > box.right + 1) {
        outside.push(`${name} [${Math.round(r.left)}, ${Math.round(r.right)}] not in [${Math.round(box.left)}, ${Math.round(box.right)}]`);
      }
    };
    const paneBox = pane?.getBoundingClientRect();
    const panelBox = panel?.getBoundingClientRect();
    inside('coding panel', panel, paneBox);
    inside('journal panel', journal, paneBox);
    inside('coding grid', document.querySelector('[data-testid="coding-grid"]'), panelBox);
    inside('panel title', document.getElementById('coding-heading'), panelBox);
    // The line's first row: its number, description, net and editors.
    const first = line?.tagName === 'TR' ? line : line?.querySelector('tr');
    const cells = first ? Array.from(first.children) : [];
    inside('line number', cells[0], panelBox);
    inside('description', cells[1], panelBox);
    inside('net', cells[2], panelBox);
    const editors = line ? Array.from(line.querySelectorAll('[data-testid="code-input"]')) : [];
    if (editors.length === 0) missing.push('editors');
    let suggestions = 0;
    for (const editor of editors) {
      const name = editor.getAttribute('aria-label') ?? 'editor';
      inside(name, editor, panelBox);
      // A field nobody and nothing codes (here the project) has no suggestion to show.
      const suggestion = editor.parentElement?.querySelector('.sub');
      if (suggestion) {
        suggestions += 1;
        inside(`suggestion under ${name}`, suggestion, panelBox);
      }
    }
    if (suggestions === 0) missing.push('suggestions');
    inside('Save', line?.querySelector('[data-testid="save-line"]'), panelBox);
    inside("Don't learn checkbox", line?.querySelector('[data-testid="no-learn"]'), panelBox);
    inside("Don't learn label", line?.querySelector('[data-testid="no-learn"]')?.closest('label'), panelBox);
    return {
      viewport: { width: window.innerWidth, height: window.innerHeight },
      pane: { scrollWidth: pane?.scrollWidth ?? -1, clientWidth: pane?.clientWidth ?? -1 },
      outside,
      missing,
    };
  }, lineNumber)) as EditingFit;
  const at = `at ${fit.viewport.width}×${fit.viewport.height}`;
  expect({ at, missing: fit.missing }).toEqual({ at, missing: [] });
  expect({ at, outside: fit.outside }).toEqual({ at, outside: [] });
  // No horizontal overflow of the pane that scrolls the coding and the journal.
  expect(fit.pane.clientWidth).toBeGreaterThan(0);
  expect({ at, ...fit.pane, fits: fit.pane.scrollWidth <= fit.pane.clientWidth + 1 }).toMatchObject({ fits: true });
  return fit;
}

/** Resizes the window and waits until the page has the new width. */
async function resizeWindow(width: number, height: number): Promise<void> {
  const before = await browser.execute(() => window.innerWidth);
  const changes = (await browser.getWindowSize()).width !== width;
  await browser.setWindowSize(width, height);
  if (changes) {
    await browser.waitUntil(async () => (await browser.execute(() => window.innerWidth)) !== before, {
      timeoutMsg: `the page stayed ${before} wide after the window was resized to ${width}×${height}`,
    });
  }
  await browser.executeAsync((done: () => void) =>
    requestAnimationFrame(() => requestAnimationFrame(() => done())),
  );
}

/** The Factur-X invoice of the PDF step (its number is new to the demo workspace). */
const pdfInvoice: FacturX = {
  number: 'FX-E2E-4711',
  issueDate: '20250605',
  dueDate: '20250705',
  supplier: { name: 'Druckhaus Weber GmbH', vatId: 'DE136695976', street: 'Am Hafen 3', postcode: '20457', city: 'Hamburg' },
  buyer: { name: 'Folio Demo GmbH', vatId: 'DE811907980' },
  description: 'Printing of 500 product brochures',
  net: '400.00',
  vat: '76.00',
  payable: '476.00',
};

/**
 * A folder with four sample invoices the demo does not have, one of them twice, an order (not an
 * invoice), one of the rule pack's samples, and a Factur-X PDF.
 */
function sampleFolder(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'folio-e2e-import-'));
  const fixtures = path.join(repo, 'crates', 'import', 'tests', 'fixtures');
  for (const name of ['ubl-invoice.xml', 'cii-invoice.xml', 'zugferd1-invoice.xml', 'ubl-credit-note.xml', 'order-x.xml']) {
    copyFileSync(path.join(fixtures, name), path.join(dir, name));
  }
  copyFileSync(path.join(fixtures, 'ubl-invoice.xml'), path.join(dir, 'ubl-invoice-copy.xml'));
  copyFileSync(path.join(repo, 'rules', 'default', 'samples', 'rheinwerk-rent-ubl.xml'), path.join(dir, 'rheinwerk-rent-ubl.xml'));
  writeFileSync(path.join(dir, 'weber-facturx.pdf'), facturXPdf(pdfInvoice));
  return dir;
}

let documentId = '';
let documentNumber = '';
let pdfDocumentId = '';
/** The workspace's creator, its admin (who may forget a vendor's learned coding). */
let adminName = '';

describe('Folio reviewer workflow', () => {
  it('shows the review queue of the workspace', async () => {
    await $('[data-testid="review-queue"]').waitForDisplayed({ timeout: 30_000 });
    await browser.waitUntil(async () => (await $$('[data-testid="queue-row"]').length) > 0, {
      timeoutMsg: 'the queue stayed empty',
    });
    const total = Number(await $('[data-testid="queue-total"]').getAttribute('data-total'));
    expect(total).toBeGreaterThanOrEqual(20);
    // Only the rows in view are rendered.
    expect(await $$('[data-testid="queue-row"]').length).toBeLessThanOrEqual(total);
    await shoot('01-review-queue.png');

    // j moves the highlight; ? shows the shortcuts; Esc closes them.
    await $('[data-testid="queue-grid"]').click();
    const before = await $('[data-testid="queue-row"][aria-selected="true"]').getAttribute('data-document-id');
    await browser.keys('j');
    const after = await $('[data-testid="queue-row"][aria-selected="true"]').getAttribute('data-document-id');
    expect(after).not.toBe(before);
    await browser.keys('?');
    await $('[data-testid="shortcut-help"]').waitForDisplayed();
    await shoot('02-shortcuts.png');
    await browser.keys('Escape');
    await $('[data-testid="shortcut-help"]').waitForDisplayed({ reverse: true });
  });

  it('imports sample files and lists what happened to each', async () => {
    await $('[data-testid="nav-import"]').click();
    await $('[data-testid="import-path"]').setValue(sampleFolder());
    await $('[data-testid="import-start"]').click();
    await $('[data-testid="import-summary"]').waitForDisplayed({ timeout: 60_000 });
    const statuses = await $$('[data-testid="import-outcome"]').map((row) => row.getAttribute('data-status'));
    expect(statuses.length).toBe(8);
    // The four fixtures and the PDF are new; their copy is already imported by then; the rule
    // pack's sample is new or already there, depending on whether the demo generated the same bytes.
    expect(statuses.filter((s) => s === 'imported' || s === 'duplicate').length).toBeGreaterThanOrEqual(5);
    expect(statuses.filter((s) => s === 'already_imported').length).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((s) => s !== 'rejected').length).toBe(7);
    expect(statuses.filter((s) => s === 'rejected').length).toBe(1);
    // The UBL invoice is the one reviewed below.
    const rent = $('[data-testid="import-outcome"][data-path$="/ubl-invoice.xml"]');
    documentId = (await rent.getAttribute('data-document-id')) ?? '';
    documentNumber = (await rent.getAttribute('data-number')) ?? '';
    expect(documentId).toMatch(/^DOC-\d+$/);
    // The Factur-X PDF is a whole document: its embedded XML gave the number.
    const pdf = $('[data-testid="import-outcome"][data-path$="/weber-facturx.pdf"]');
    expect(['imported', 'duplicate']).toContain(await pdf.getAttribute('data-status'));
    expect(await pdf.getAttribute('data-number')).toBe(pdfInvoice.number);
    pdfDocumentId = (await pdf.getAttribute('data-document-id')) ?? '';
    expect(pdfDocumentId).toMatch(/^DOC-\d+$/);
    const progress = $('[data-testid="import-progress"]');
    expect(await progress.getAttribute('value')).toBe(await progress.getAttribute('max'));
    await shoot('03-import.png');
  });

  it('shows the PDF original rendered by pdf.js beside its coding', async () => {
    await $('[data-testid="nav-queue"]').click();
    await $('[data-testid="queue-search"]').setValue(pdfInvoice.number);
    // (The search is debounced: wait for its one match, not for the row the unfiltered list had.)
    await browser.waitUntil(
      async () =>
        (await $('[data-testid="queue-total"]').getAttribute('data-ready')) === 'true' &&
        (await $('[data-testid="queue-total"]').getAttribute('data-total')) === '1' &&
        (await $$(`[data-testid="queue-row"][data-document-id="${pdfDocumentId}"]`).length) === 1,
      { timeoutMsg: `searching for ${pdfInvoice.number} did not find ${pdfDocumentId}` },
    );
    await $(`[data-testid="queue-row"][data-document-id="${pdfDocumentId}"]`).doubleClick();
    const view = $('[data-testid="document-view"]');
    await expect(view).toHaveAttribute('data-document-id', pdfDocumentId);
    const pdf = $('[data-testid="pdf-view"]');
    await browser.waitUntil(async () => (await pdf.getAttribute('data-rendered')) === 'true', {
      timeout: 60_000,
      timeoutMsg: 'pdf.js did not finish drawing the PDF',
    });
    expect(await pdf.getAttribute('data-pages')).toBe('1');
    // The page was drawn: dark pixels of its text on the white page (a blank canvas has none).
    const ink = await browser.execute(() => {
      const canvas = document.querySelector('[data-testid="pdf-page"]') as HTMLCanvasElement;
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let dark = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i]! < 96 && data[i + 1]! < 96 && data[i + 2]! < 96 && data[i + 3]! > 0) dark++;
      return { dark, pixels: data.length / 4 };
    });
    expect(ink.dark).toBeGreaterThan(1000);
    expect(ink.dark).toBeLessThan(ink.pixels / 2);
    // Beside it, the coding of the invoice the PDF carries.
    await $('[data-testid="coding-grid"]').waitForDisplayed({ timeout: 30_000 });
    await expect(view).toHaveAttribute('data-loaded-id', pdfDocumentId);
    expect(await $('#coding-heading').isDisplayed()).toBe(true);
    await shoot('03b-pdf-document.png');
    await $('[data-testid="back-to-queue"]').click();
  });

  it('finds the new invoice in the queue and opens it with the keyboard', async () => {
    await $('[data-testid="nav-queue"]').click();
    await blur();
    await browser.keys('/');
    await expect($('[data-testid="queue-search"]')).toBeFocused();
    // (setValue: WebKitWebDriver drops a key typed twice in a row, as the 00 of INV-2024-001.)
    await $('[data-testid="queue-search"]').setValue(documentNumber);
    await browser.waitUntil(
      async () =>
        (await $('[data-testid="queue-total"]').getAttribute('data-ready')) === 'true' &&
        (await $('[data-testid="queue-total"]').getAttribute('data-total')) === '1' &&
        (await $$(`[data-testid="queue-row"][data-document-id="${documentId}"]`).length) === 1,
      { timeoutMsg: `searching for ${documentNumber} did not find ${documentId}` },
    );
    // Esc leaves the search for the grid, where the only match is highlighted.
    await browser.keys('Escape');
    await expect($(`[data-testid="queue-row"][data-document-id="${documentId}"]`)).toHaveAttribute('aria-selected', 'true');
    await shoot('04-queue-search.png');
    await browser.keys('Enter');
    await $('[data-testid="document-view"]').waitForDisplayed();
    await expect($('[data-testid="document-view"]')).toHaveAttribute('data-document-id', documentId);
    await $('[data-testid="coding-grid"]').waitForDisplayed({ timeout: 30_000 });

    const balance = $('[data-testid="journal-balance"]');
    await balance.waitForDisplayed();
    expect(await balance.getText()).toContain('Balanced');
    const total = $('[data-testid="journal-total"]');
    expect(await total.$('[data-testid="journal-total-debit"]').getText()).toBe(
      await total.$('[data-testid="journal-total-credit"]').getText(),
    );
    await expect($('[data-testid="party-supplier"]')).toBeDisplayed();
    await shoot('05-document.png');
    // On a smaller screen (1280×800) the coding and the journal fit their pane too.
    const windowSize = await browser.getWindowSize();
    await resizeWindow(1280, 800);
    const pane = await browser.execute(() => {
      const el = document.querySelector('[data-testid="coding-pane"]') as HTMLElement;
      return { width: window.innerWidth, scrollWidth: el.scrollWidth, clientWidth: el.clientWidth };
    });
    expect(pane.width).toBe(1280);
    expect({ ...pane, fits: pane.scrollWidth <= pane.clientWidth + 1 }).toMatchObject({ fits: true });
    await shoot('05-document-1280x800.png');
    await resizeWindow(windowSize.width, windowSize.height);
  });

  it('corrects a suggestion and shows the explanation beside it', async () => {
    const line = $('[data-testid="coding-line"][data-line="1"]');
    const account = line.$('[data-field="account"] [data-testid="coded-value"]');
    const suggested = (await account.$('.mono').getText()).trim();
    const replacement = suggested === '4240' ? '4250' : '4240';

    // The explanation of the suggestion before it is corrected.
    await line.$('[data-field="account"] [data-testid="why-button"]').click();
    const popover = line.$('[data-field="account"] [data-testid="why-popover"]');
    await popover.waitForDisplayed();
    expect(await popover.getText()).toContain(suggested);
    await shoot('06-why.png');
    await line.$('[data-field="account"] [data-testid="why-button"]').click();

    await blur();
    await browser.keys('e');
    const input = line.$('[data-field="account"] [data-testid="code-input"]');
    await input.waitForDisplayed();
    await input.clearValue();
    await input.setValue(replacement);
    // The edited grid fits its pane: nothing of the line is cut off or needs sideways scrolling.
    await expectEditingFits(1);
    await line.$('[data-testid="save-line"]').click();

    const corrected = line.$('[data-field="account"] [data-testid="coded-value"]');
    await browser.waitUntil(async () => (await corrected.getAttribute('data-source')) === 'person', {
      timeoutMsg: 'the corrected account is not shown as the person’s value',
    });
    expect((await corrected.$('.mono').getText()).trim()).toBe(replacement);
    // The suggestion it replaced stays visible beside it.
    expect(await line.$('[data-field="account"] [data-testid="original-suggestion"]').getText()).toContain(suggested);
    await line.$('[data-field="account"] [data-testid="why-button"]').click();
    expect(await line.$('[data-field="account"] [data-testid="why-popover"]').getText()).toContain('Set by');
    // The journal was rebuilt with the person's account and still balances.
    await browser.waitUntil(async () => (await $('[data-testid="journal-lines"]').getText()).includes(replacement));
    expect(await $('[data-testid="journal-balance"]').getText()).toContain('Balanced');
    await shoot('07-corrected.png');
    await line.$('[data-field="account"] [data-testid="why-button"]').click();
  });

  it('corrects another line as a one-off that is not learned from', async () => {
    adminName = await $('[data-testid="user-switch"]').getValue();
    const line = $('[data-testid="coding-line"][data-line="2"]');
    const account = line.$('[data-field="account"] [data-testid="coded-value"]');
    const suggested = (await account.$('.mono').getText()).trim();
    const replacement = suggested === '4240' ? '4250' : '4240';

    await blur();
    await browser.keys('e');
    const input = line.$('[data-field="account"] [data-testid="code-input"]');
    await input.waitForDisplayed();
    await input.clearValue();
    await input.setValue(replacement);
    const dontLearn = line.$('[data-testid="no-learn"]');
    expect(await dontLearn.isSelected()).toBe(false);
    await dontLearn.click();
    expect(await dontLearn.isSelected()).toBe(true);
    const fit = await expectEditingFits(2);
    await shoot('07b-dont-learn.png');
    // The same on a smaller screen (1280×800), then back to the window's own size.
    const windowSize = await browser.getWindowSize();
    await resizeWindow(1280, 800);
    const small = await expectEditingFits(2);
    expect(small.viewport.width).toBe(1280);
    await shoot('07b-dont-learn-1280x800.png');
    await resizeWindow(windowSize.width, windowSize.height);
    expect((await expectEditingFits(2)).viewport).toEqual(fit.viewport);
    await line.$('[data-testid="save-line"]').click();

    const corrected = line.$('[data-field="account"] [data-testid="coded-value"]');
    await browser.waitUntil(async () => (await corrected.getAttribute('data-source')) === 'person', {
      timeoutMsg: 'the one-off correction is not shown as the person’s value',
    });
    expect((await corrected.$('.mono').getText()).trim()).toBe(replacement);
    await expect(line.$('[data-field="account"] [data-testid="not-learned"]')).toHaveText('not learned from');
    await line.$('[data-field="account"] [data-testid="why-button"]').click();
    const popover = line.$('[data-field="account"] [data-testid="why-popover"]');
    await popover.waitForDisplayed();
    expect(await popover.getText()).toContain('(not learned from)');
    // The first line's correction is learned from.
    expect(await $('[data-testid="coding-line"][data-line="1"] [data-field="account"] [data-testid="not-learned"]').isExisting()).toBe(false);
    await shoot('07c-not-learned.png');
    await line.$('[data-field="account"] [data-testid="why-button"]').click();
  });

  it('approves the document with the keyboard, as a controller', async () => {
    // The workspace's creator is its admin, who prepared the correction: not allowed to approve.
    await blur();
    await browser.keys('a');
    const refusal = $('.error-box');
    await refusal.waitForDisplayed();
    expect(await refusal.getText()).toContain('ROLE-APPROVE');

    await $('[data-testid="user-switch"]').selectByAttribute('value', 'controller');
    await browser.waitUntil(async () => (await $('[data-testid="user-switch"]').getValue()) === 'controller');
    await $('[data-testid="coding-grid"]').waitForDisplayed({ timeout: 30_000 });
    await blur();
    await browser.keys('a');
    const status = $('[data-testid="document-status"]');
    // Approved, with its journal queued in the outbox for the GL.
    await browser.waitUntil(async () => ['approved', 'queued'].includes((await status.getText()).toLowerCase()), {
      timeoutMsg: 'the document was not queued after approval',
    });
    expect(await $('[data-testid="document-notice"]').getText()).toContain('queued');
    await shoot('08-approved.png');
  });

  it('syncs to the ledger file', async () => {
    await $('[data-testid="nav-sync"]').click();
    await $('[data-testid="sync-now"]').click();
    const report = $('[data-testid="sync-report"]');
    await report.waitForDisplayed({ timeout: 120_000 });
    expect(await report.getText()).toMatch(/[1-9]\d* posted/);
    await browser.waitUntil(async () => (await $$('[data-testid="outbox-row"][data-state="posted"]').length) >= 1);
    await expect($('[data-testid="gl-state"]')).toHaveText('GL reachable');
    const ledger = readFileSync(path.join(workspace, 'ledger.beancount'), 'utf8');
    expect(ledger).toContain(documentNumber);
    // The GL's master data comes back for offline use.
    await $('[data-testid="gl-pull"]').click();
    await expect($('[data-testid="pull-report"]')).toHaveText(/^Master data pulled: [1-9]\d* accounts/);
    await shoot('09-sync.png');
  });

  it('shows the document as posted', async () => {
    await $('[data-testid="nav-queue"]').click();
    await $('[data-testid="filter-status"]').selectByAttribute('value', 'posted');
    await browser.waitUntil(
      async () => (await $$(`[data-testid="queue-row"][data-document-id="${documentId}"]`).length) === 1,
      { timeoutMsg: `${documentId} is not among the posted documents` },
    );
    const row = $(`[data-testid="queue-row"][data-document-id="${documentId}"]`);
    await expect(row).toHaveAttribute('data-status', 'posted');
    await shoot('10-posted.png');
    await row.doubleClick();
    await expect($('[data-testid="document-status"]')).toHaveText('posted', { ignoreCase: true });
  });

  it('lists the exceptions by reason with what clears them', async () => {
    await $('[data-testid="nav-exceptions"]').click();
    await $('[data-testid="exception-group"]').waitForDisplayed({ timeout: 60_000 });
    const counts = await $$('[data-testid="exception-count"]').map((c) => c.getText());
    expect(counts.length).toBeGreaterThan(0);
    for (const c of counts) expect(Number(c)).toBeGreaterThan(0);
    await shoot('11-exceptions.png');
  });

  it('runs the rule packs’ tests and shows the blast radius of an edit', async () => {
    await $('[data-testid="nav-rules"]').click();
    await $('[data-testid="rule-pack"]').waitForDisplayed();
    await $('[data-testid="rules-dir"]').setValue(path.join(repo, 'rules'));
    await $('[data-testid="rules-test"]').click();
    await expect($('[data-testid="rules-test-result"]')).toHaveText('All tests pass.');
    await $('[data-testid="rules-diff"]').click();
    const diff = $('[data-testid="rules-diff-result"]');
    await diff.waitForDisplayed({ timeout: 60_000 });
    // The shipped pack is the one in use: nothing would change.
    expect(await diff.getText()).toMatch(/^0 of \d+ open documents would be coded differently/);
    await shoot('12-rules.png');
  });

  it('shows the overview: spend, accuracy per vendor, exceptions by age, payables', async () => {
    await $('[data-testid="nav-overview"]').click();
    const spend = $('[data-testid="spend-account"]');
    await spend.waitForDisplayed({ timeout: 60_000 });
    expect((await spend.$$('li .bar').length)).toBeGreaterThan(0);
    // The correction made above shows in its vendor's accuracy.
    const accuracy = await $('[data-testid="vendor-accuracy"]').getText();
    expect(accuracy).toContain('Acme Supplies');
    await expect($('[data-testid="exceptions-by-age"]')).toBeDisplayed();
    await shoot('13-overview.png');
  });

  it('forgets what Folio learned from the vendor: refused for a controller, done by the admin', async () => {
    await $('[data-testid="nav-queue"]').click();
    await $('[data-testid="filter-status"]').selectByAttribute('value', 'posted');
    const row = $(`[data-testid="queue-row"][data-document-id="${documentId}"]`);
    await row.waitForDisplayed({ timeout: 30_000 });
    await row.doubleClick();
    await expect($('[data-testid="document-view"]')).toHaveAttribute('data-loaded-id', documentId);
    const vendor = (await $('[data-testid="forget-vendor"]').getText()).replace(/^Forget what Folio learned from /, '').replace(/…$/, '');
    expect(vendor.length).toBeGreaterThan(0);

    // The controller may not: the app's refusal shows in the dialog, and nothing is forgotten.
    await $('[data-testid="forget-vendor"]').click();
    const dialog = $('[data-testid="forget-vendor-dialog"]');
    await dialog.waitForDisplayed();
    const warning = await dialog.getText();
    expect(warning).toContain(`history lines of ${vendor} are deleted`);
    expect(warning).toContain('no longer learned from');
    expect(warning).toContain('cannot be undone, except by importing');
    await $('[data-testid="forget-confirm"]').click();
    await dialog.$('.error-box').waitForDisplayed({ timeout: 30_000 });
    expect(await dialog.$('.error-box').getText()).toContain('ROLE-RULES');
    await shoot('14-forget-refused.png');
    await $('[data-testid="forget-cancel"]').click();
    await dialog.waitForDisplayed({ reverse: true });

    // The admin may: the count comes back and the document is shown re-read.
    await $('[data-testid="user-switch"]').selectByAttribute('value', adminName);
    await browser.waitUntil(async () => (await $('[data-testid="user-switch"]').getValue()) === adminName);
    await expect($('[data-testid="document-view"]')).toHaveAttribute('data-loaded-id', documentId);
    await $('[data-testid="forget-vendor"]').click();
    await $('[data-testid="forget-confirm"]').click();
    const notice = $('[data-testid="document-notice"]');
    await notice.waitForDisplayed({ timeout: 60_000 });
    const said = await notice.getText();
    expect(said).toMatch(/^Forgot what Folio learned from .+: \d+ history lines? deleted, [1-9]\d* approved lines? no longer learned from, \d+ open documents? re-coded\.$/);
    await expect($('[data-testid="forget-vendor-dialog"]')).not.toBeDisplayed();
    await shoot('15-vendor-forgotten.png');
  });

  it('imports coding history and shows what the learned model knows', async () => {
    await $('[data-testid="nav-rules"]').click();
    const facts = $('[data-testid="model-facts"]');
    await facts.waitForDisplayed({ timeout: 60_000 });
    // The vendor forgotten above is listed, and the one-off correction is not learned from.
    expect(await $('[data-testid="forgotten-vendors"]').getText()).not.toBe('none');
    expect(await $('[data-testid="model-from"]').getText()).toContain('not learned from: 1 line marked');
    const before = Number(await facts.getAttribute('data-lines'));
    const historyBefore = Number(await facts.getAttribute('data-history'));

    const dir = mkdtempSync(path.join(os.tmpdir(), 'folio-e2e-history-'));
    const csv = path.join(dir, 'coding-history.csv');
    const rows = ['date,supplier,description,amount,account,cost_centre'];
    for (let month = 1; month <= 12; month++) {
      rows.push(`2024-${String(month).padStart(2, '0')}-10,Kestrel Cleaning,Office cleaning,${180 + month}.00,4250,CC-100`);
      rows.push(`2024-${String(month).padStart(2, '0')}-20,Oakmoor Couriers,Courier delivery,${40 + month}.50,4730,CC-300`);
    }
    writeFileSync(csv, rows.join('\n') + '\n');
    await $('[data-testid="history-path"]').setValue(csv);
    await $('[data-testid="history-import"]').click();
    const report = $('[data-testid="history-report"]');
    try {
      await report.waitForDisplayed({ timeout: 120_000 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(await report.getAttribute('data-rows')).toBe('24');
    expect(await report.getText()).toMatch(/^Imported 24 history lines from coding-history\.csv\. The learned model now learns from \d+ lines/);
    await browser.waitUntil(async () => Number(await facts.getAttribute('data-history')) === historyBefore + 24, {
      timeoutMsg: 'the learned model does not show the imported history',
    });
    expect(Number(await facts.getAttribute('data-lines'))).toBe(before + 24);
    expect(await $('[data-testid="model-version"]').getText()).toMatch(/^learned-v3\//);
    // The import retrained the model; the view says so.
    expect(await $('[data-testid="model-refresh"]').getText()).toContain('last trained in full because the imported history changed');
    await shoot('16-learned-model.png');
  });
});

