/**
 * What the sync view offers for one outbox entry, and what it tells the person before they
 * confirm. The rules are the app's (`crates/app/src/sync_actions.rs`); this only decides which
 * buttons a row shows and the sentence in the confirmation, so that nobody has to guess what a
 * click does to a journal on its way to the GL.
 *
 * - queued: **Retry** (due now: its backoff or `Retry-After` wait is cleared, then a sync sends
 *   it once) — shown whether or not it is waiting: a backoff is no reason to hide it;
 * - unknown, or sending (left by a sync that stopped): **Look up in the GL** (found: posted; not
 *   there: queued again; the GL unreachable: it stays as it is) — never a blind resend;
 * - queued, unknown or sending, for a controller: **Resolve by hand…** (they found it in the GL
 *   themselves: recorded as posted with its GL id and their note);
 * - rejected: no button — it is back in review; the hint says what to do;
 * - posted, voided: nothing to do.
 */
import type { OutboxView } from '../bindings/OutboxView';

export type OutboxActionKind = 'retry' | 'lookup' | 'by-hand';

export interface OutboxAction {
  kind: OutboxActionKind;
  /** The button's text. */
  label: string;
  /** What will happen, shown in the confirmation before anything is done. */
  confirm: string;
}

/** `JNL-12 (FK3P9Q-12)`. */
export function entryName(e: OutboxView): string {
  return `${e.journal_id} (${e.reference})`;
}

/** Whether a queued entry waits (its next attempt is after `now`). */
export function isWaiting(e: OutboxView, now: Date): boolean {
  if (e.state !== 'queued') return false;
  const next = Date.parse(e.next_attempt_at);
  return Number.isFinite(next) && next > now.getTime();
}

/** The actions row `e` offers to a person with role `role` at `now`. */
export function outboxActions(e: OutboxView, role: string | null, now: Date): OutboxAction[] {
  const name = entryName(e);
  const actions: OutboxAction[] = [];
  const because = e.last_error ? ` (last: ${e.last_error})` : '';
  if (e.state === 'queued') {
    actions.push({
      kind: 'retry',
      label: 'Retry',
      confirm: isWaiting(e, now)
        ? `${name} waits until ${e.next_attempt_at}${because}. Retry makes it due now and syncs: it is sent once, with whatever else is due.`
        : `${name} is due. Retry syncs now: it is sent once, with whatever else is due.`,
    });
  }
  if (e.state === 'unknown' || e.state === 'sending') {
    actions.push({
      kind: 'lookup',
      label: 'Look up in the GL',
      confirm:
        `Folio asks the GL for ${e.reference} now, and sends nothing. Found: ${e.journal_id} is marked posted with the GL's id. ` +
        `Not there: it is queued again and the next sync sends it once. GL unreachable, or a request about it may still be running: it stays ${e.state}.`,
    });
  }
  if (role === 'controller' && ['queued', 'unknown', 'sending'].includes(e.state)) {
    actions.push({
      kind: 'by-hand',
      label: 'Resolve by hand…',
      confirm:
        `You checked the GL yourself and ${name} is in it. Folio records it as posted under the GL id you give, ` +
        `with your name, the time and your note as the evidence, and never sends it. If the GL answers and holds ${e.reference} under another id, this is refused.`,
    });
  }
  return actions;
}

/** The hint under a row that has no action. */
export function outboxHint(e: OutboxView): string {
  switch (e.state) {
    case 'rejected':
      return 'Back in review: correct the journal and approve it again (sending it again would be refused again).';
    case 'voided':
      return 'Changed before it was sent: it is queued again when it is approved again.';
    default:
      return '';
  }
}

/** Why a by-hand resolution cannot be confirmed yet, or null when it can. */
export function byHandProblem(glId: string, note: string): string | null {
  if (glId.trim() === '') return "Enter the GL's id of the entry you found.";
  if (note.trim() === '') return 'Say how you checked the GL: the note is kept as the evidence.';
  return null;
}
