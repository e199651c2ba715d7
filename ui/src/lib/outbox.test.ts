import { describe, expect, it } from 'vitest';
import type { OutboxView } from '../bindings/OutboxView';
import { byHandProblem, isWaiting, outboxActions, outboxHint } from './outbox';

const now = new Date('2026-06-15T10:00:00.000Z');

function entry(state: string, extra: Partial<OutboxView> = {}): OutboxView {
  return {
    journal_id: 'JNL-12',
    reference: 'FK3P9-12',
    state,
    attempts: 1,
    gl_id: null,
    receipt: null,
    last_error: null,
    next_attempt_at: '2026-06-15T09:59:00.000Z',
    updated_at: '2026-06-15T09:59:00.000Z',
    ...extra,
  };
}

const kinds = (e: OutboxView, role: string | null) => outboxActions(e, role, now).map((a) => a.kind);

describe('outboxActions', () => {
  it('offers Retry for a queued journal, also while it backs off, and says how long it waited', () => {
    const waiting = entry('queued', { next_attempt_at: '2026-06-15T11:00:00.000Z', last_error: '503 Service Unavailable' });
    expect(isWaiting(waiting, now)).toBe(true);
    expect(kinds(waiting, 'clerk')).toEqual(['retry']);
    const retry = outboxActions(waiting, 'clerk', now)[0]!;
    expect(retry.confirm).toContain('waits until 2026-06-15T11:00:00.000Z');
    expect(retry.confirm).toContain('503 Service Unavailable');
    expect(retry.confirm).toContain('sent once');
    const due = entry('queued');
    expect(isWaiting(due, now)).toBe(false);
    expect(outboxActions(due, 'clerk', now)[0]!.confirm).toContain('is due');
  });

  it('looks a journal in doubt up instead of resending it', () => {
    for (const state of ['unknown', 'sending']) {
      expect(kinds(entry(state), 'clerk')).toEqual(['lookup']);
      const lookup = outboxActions(entry(state), 'clerk', now)[0]!;
      expect(lookup.confirm).toContain('sends nothing');
      expect(lookup.confirm).toContain(`it stays ${state}`);
    }
  });

  it('offers resolution by hand to controllers only, and only before the journal is settled', () => {
    expect(kinds(entry('unknown'), 'controller')).toEqual(['lookup', 'by-hand']);
    expect(kinds(entry('queued'), 'controller')).toEqual(['retry', 'by-hand']);
    for (const role of ['clerk', 'admin', null]) expect(kinds(entry('unknown'), role)).not.toContain('by-hand');
    for (const state of ['posted', 'rejected', 'voided']) expect(kinds(entry(state), 'controller')).toEqual([]);
  });

  it('sends a rejected journal back to review in words, not with a retry', () => {
    expect(outboxHint(entry('rejected'))).toContain('Back in review');
    expect(outboxHint(entry('posted'))).toBe('');
  });
});

describe('byHandProblem', () => {
  it('needs the GL id and a note', () => {
    expect(byHandProblem(' ', 'checked')).toContain('GL');
    expect(byHandProblem('GL-1', '  ')).toContain('note');
    expect(byHandProblem('GL-1', 'seen in the GL journal list')).toBeNull();
  });
});
