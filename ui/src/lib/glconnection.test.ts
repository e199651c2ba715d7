import { describe, expect, it } from 'vitest';
import type { GlConnectionView } from '../bindings/GlConnectionView';
import { signInMissing, tenantText } from './glconnection';

function view(kind: string, tenant: string | null): GlConnectionView {
  return { kind, url: null, ledger: null, user: null, has_secret: true, tenant };
}

describe('the GL connection in the sync view', () => {
  it('names the organisation or company each cloud GL posts to', () => {
    const cases: [GlConnectionView | null, string | null][] = [
      [view('xero', 'Demo GmbH'), 'Posting to Xero organisation Demo GmbH.'],
      [view('quickbooks', '4620816365'), 'Posting to QuickBooks company 4620816365.'],
      [view('business-central', 'CRONUS AG'), 'Posting to Business Central company CRONUS AG.'],
      [view('ledger-file', null), null],
      [view('quickbooks', null), null],
      [null, null],
    ];
    for (const [c, text] of cases) expect(tenantText(c)).toBe(text);
  });

  it('names what each sign-in still needs', () => {
    const empty = { companyUrl: '', clientId: ' ', clientSecret: '' };
    expect(signInMissing('quickbooks', empty)).toEqual(['the company URL', 'the client id', 'the client secret']);
    expect(signInMissing('business-central', empty)).toEqual(['the company URL', 'the client id']);
    const full = { companyUrl: 'https://quickbooks.api.intuit.com/v3/company/1', clientId: 'ABC', clientSecret: 's' };
    expect(signInMissing('quickbooks', full)).toEqual([]);
    expect(signInMissing('business-central', { ...full, clientSecret: '' })).toEqual([]);
  });
});
