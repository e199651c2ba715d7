/**
 * Acceptance test of the Folio window on the demo workspace: the list is there, a document opens
 * with the keyboard, and its journal draft balances to the document's payable amount.
 *
 * Amounts are compared as the strings the window shows (the UI formats decimal strings exactly,
 * never through a float), so equal strings mean equal amounts.
 */
import path from 'node:path';
import { $, $$, browser, expect } from '@wdio/globals';

const screenshots = process.env.FOLIO_SCREENSHOT_DIR ?? 'screenshots';

describe('Folio window', () => {
  it('lists the workspace documents', async () => {
    const list = $('[data-testid="document-list"]');
    await list.waitForDisplayed({ timeout: 30_000 });
    await browser.waitUntil(async () => (await $$('[data-testid="document-row"]').length) > 0, {
      timeoutMsg: 'the document list stayed empty',
    });
    const rows = await $$('[data-testid="document-row"]').getElements();
    expect(rows.length).toBeGreaterThanOrEqual(20);
  });

  it('opens a document with the keyboard and shows its balanced journal', async () => {
    // Pick the first invoice without problems: its draft is expected to balance to its payable.
    const rows = await $$('[data-testid="document-row"]').getElements();
    let target = -1;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const problems = (await row.$('td:last-child').getText()).trim();
      const isCredit = (await row.$$('.tag').length) > 0;
      if (problems === '0' && !isCredit) {
        target = i;
        break;
      }
    }
    expect(target).toBeGreaterThanOrEqual(0);

    // Click the first row (opens it and focuses the list), then walk down with j and press Enter.
    await rows[0]!.$('td').click();
    for (let i = 0; i < target; i++) await browser.keys('j');
    await expect(rows[target]!).toHaveAttribute('aria-selected', 'true');
    const documentId = await rows[target]!.getAttribute('data-document-id');
    const rowNumber = (await rows[target]!.$('td').getText()).trim();
    const currency = (await rows[target]!.$('td:nth-child(5)').getText()).trim();
    await browser.keys('Enter');

    const number = $('[data-testid="document-number"]');
    await expect(number).toHaveText(rowNumber);
    await expect(rows[target]!).toHaveAttribute('aria-current', 'true');

    const balance = $('[data-testid="journal-balance"]');
    await balance.waitForDisplayed();
    const balanceText = await balance.getText();
    expect(balanceText).toContain('Balanced');
    expect(balanceText).not.toContain('Not balanced');

    const payable = (await $('[data-testid="document-payable"]').getText()).trim();
    const total = $(`[data-testid="journal-total"][data-currency="${currency}"]`);
    await total.waitForExist();
    const debit = (await total.$('[data-testid="journal-total-debit"]').getText()).trim();
    const credit = (await total.$('[data-testid="journal-total-credit"]').getText()).trim();
    console.log(`${documentId} ${rowNumber}: payable ${payable} ${currency}, debit ${debit}, credit ${credit}`);
    expect(payable).toMatch(/\d/);
    expect(debit).toBe(credit);
    expect(debit).toBe(payable);

    // The document side shows the parties and the lines.
    await expect($('[data-testid="party-supplier"]')).toBeDisplayed();
    await expect($('[data-testid="party-buyer"]')).toBeDisplayed();

    // Let the webview paint what the DOM now holds (two animation frames), then take the picture.
    await browser.executeAsync((done: () => void) =>
      requestAnimationFrame(() => requestAnimationFrame(() => done())),
    );
    await browser.saveScreenshot(path.join(screenshots, 'document-journal.png'));
  });
});
