// What the sync view says about the GL connection: which organisation or company a cloud GL
// posts to (Xero's tenant, QuickBooks' realm, Business Central's company), and what each
// browser sign-in needs before it can start (so an empty field is named before the browser opens).
import type { GlConnectionView } from '../bindings/GlConnectionView';

const NAMES: Record<string, [string, string]> = {
  xero: ['Xero', 'organisation'],
  quickbooks: ['QuickBooks', 'company'],
  'business-central': ['Business Central', 'company'],
};

/** "Posting to Xero organisation Demo GmbH." — null when the connection names none. */
export function tenantText(c: GlConnectionView | null): string | null {
  if (!c?.tenant) return null;
  const [api, what] = NAMES[c.kind] ?? [c.kind, 'company'];
  return `Posting to ${api} ${what} ${c.tenant}.`;
}

/** The sign-in connectors' fields, as the form holds them. */
export type SignInForm = { companyUrl: string; clientId: string; clientSecret: string };

/** What is missing before the sign-in of `kind` can start; empty when nothing is. */
export function signInMissing(kind: string, f: SignInForm): string[] {
  const missing: string[] = [];
  if (kind === 'quickbooks' || kind === 'business-central') {
    if (!f.companyUrl.trim()) missing.push('the company URL');
    if (!f.clientId.trim()) missing.push('the client id');
  }
  if (kind === 'quickbooks' && !f.clientSecret) missing.push('the client secret');
  return missing;
}
