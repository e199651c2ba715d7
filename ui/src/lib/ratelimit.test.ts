import { describe, expect, it } from 'vitest';
import type { RateLimitView } from '../bindings/RateLimitView';
import { rateLimitText, rateLimitTight } from './ratelimit';

function limits(extra: Partial<RateLimitView> = {}): RateLimitView {
  return {
    api: 'xero',
    tenant: 'Demo GmbH',
    minute_used: 12,
    minute_limit: 60,
    day_used: 130,
    day_limit: 5000,
    in_flight: 1,
    concurrent_limit: 5,
    api_minute_remaining: null,
    api_day_remaining: null,
    last_problem: null,
    paused_ms: 0,
    day_limited: true,
    batches_used: null,
    batches_limit: null,
    last_message: null,
    window_minutes: null,
    ...extra,
  };
}

/** QuickBooks' throttle of one company: no daily limit, batches limited, a 429's message. */
function quickbooks(extra: Partial<RateLimitView> = {}): RateLimitView {
  return limits({
    api: 'quickbooks',
    tenant: '4620816365',
    minute_used: 40,
    minute_limit: 500,
    day_used: 0,
    day_limit: 0,
    concurrent_limit: 10,
    day_limited: false,
    batches_used: 2,
    batches_limit: 40,
    ...extra,
  });
}

describe('rate limits in the sync monitor', () => {
  it('says what is used against each limit', () => {
    expect(rateLimitText(limits())).toBe(
      'xero limits for Demo GmbH: 12/60 calls this minute · 130/5000 today · 1/5 in progress.',
    );
  });

  it("adds what the API said is left and a pause after a 429", () => {
    const text = rateLimitText(
      limits({ api_minute_remaining: 0, api_day_remaining: 4870, paused_ms: 41_200, last_problem: 'minute' }),
    );
    expect(text).toContain('xero says 0 this minute, 4870 today left');
    expect(text).toContain('Paused 42 s: xero asked to wait (minute limit).');
  });

  it('names the last limit hit once the pause is over', () => {
    expect(rateLimitText(limits({ last_problem: 'day' }))).toContain('Last limit hit: day.');
  });

  it('is tight at 90 % of a limit or while paused', () => {
    const cases: [Partial<RateLimitView>, boolean][] = [
      [{}, false],
      [{ minute_used: 54 }, true],
      [{ minute_used: 53 }, false],
      [{ day_used: 4500 }, true],
      [{ paused_ms: 1 }, true],
    ];
    for (const [extra, tight] of cases) expect(rateLimitTight(limits(extra))).toBe(tight);
  });

  it('shows QuickBooks per minute and per batch, without a daily limit', () => {
    expect(rateLimitText(quickbooks())).toBe(
      'quickbooks limits for 4620816365: 40/500 calls this minute · 2/40 batches · 1/10 in progress.',
    );
    expect(rateLimitTight(quickbooks())).toBe(false);
    expect(rateLimitTight(quickbooks({ batches_used: 36 }))).toBe(true);
    expect(rateLimitTight(quickbooks({ minute_used: 450 }))).toBe(true);
  });

  it("gives QuickBooks' 429 message while paused and after", () => {
    const paused = quickbooks({ paused_ms: 900, last_message: 'ThrottleExceeded' });
    expect(rateLimitText(paused)).toContain('Paused 1 s: quickbooks asked to wait (ThrottleExceeded).');
    expect(rateLimitText(quickbooks({ last_message: 'ThrottleExceeded' }))).toContain(
      'Last limit hit: ThrottleExceeded.',
    );
  });

  it("shows Business Central's five-minute window and its 429 while paused", () => {
    const bc = limits({
      api: 'business-central',
      tenant: 'Production/abc-1',
      minute_used: 5400,
      minute_limit: 6000,
      day_used: 0,
      day_limit: 0,
      concurrent_limit: 100,
      day_limited: false,
      window_minutes: 5,
    });
    expect(rateLimitText(bc)).toBe(
      'business-central limits for Production/abc-1: 5400/6000 calls in 5 minutes · 1/100 in progress.',
    );
    expect(rateLimitTight(bc)).toBe(true);
    expect(rateLimitTight({ ...bc, minute_used: 5399 })).toBe(false);
    const paused = { ...bc, minute_used: 10, paused_ms: 30_000, last_message: 'post: Business Central says TooManyRequests' };
    expect(rateLimitText(paused)).toContain(
      'Paused 30 s: business-central asked to wait (post: Business Central says TooManyRequests).',
    );
  });
});
