// How a cloud GL's rate limits are shown in the sync monitor: one sentence from a RateLimitView,
// naming what is nearly used up and, after the API asked to wait, how long every call is held.
// Xero limits calls per minute and per day; QuickBooks per minute and batches per minute, with
// no daily limit (day_limited false), and says only a message with its 429. Business Central
// counts requests in a five-minute sliding window (window_minutes 5) against 100 simultaneous ones
// and says a message with its 429/503.
import type { RateLimitView } from '../bindings/RateLimitView';

/** Whole seconds, rounded up (a pause of 200 ms still reads "1 s"). */
function seconds(ms: number): number {
  return Math.ceil(ms / 1000);
}

/** The limits as one line: calls this minute, today and in progress against each limit. */
export function rateLimitText(l: RateLimitView): string {
  const window = l.window_minutes !== null ? `in ${l.window_minutes} minutes` : 'this minute';
  const parts = [`${l.minute_used}/${l.minute_limit} calls ${window}`];
  if (l.batches_used !== null && l.batches_limit !== null) parts.push(`${l.batches_used}/${l.batches_limit} batches`);
  if (l.day_limited) parts.push(`${l.day_used}/${l.day_limit} today`);
  parts.push(`${l.in_flight}/${l.concurrent_limit} in progress`);
  if (l.api_minute_remaining !== null || l.api_day_remaining !== null) {
    const said = [
      l.api_minute_remaining !== null ? `${l.api_minute_remaining} this minute` : null,
      l.api_day_remaining !== null ? `${l.api_day_remaining} today` : null,
    ].filter((p) => p !== null);
    parts.push(`${l.api} says ${said.join(', ')} left`);
  }
  let text = `${l.api} limits for ${l.tenant}: ${parts.join(' · ')}`;
  const why = l.last_problem ? ` (${l.last_problem} limit)` : l.last_message ? ` (${l.last_message})` : '';
  if (l.paused_ms > 0) {
    text += `. Paused ${seconds(l.paused_ms)} s: ${l.api} asked to wait${why}`;
  } else if (l.last_problem) {
    text += `. Last limit hit: ${l.last_problem}`;
  } else if (l.last_message) {
    text += `. Last limit hit: ${l.last_message}`;
  }
  return text + '.';
}

/** Whether a limit is close (90 % of the minute, the batches or the day used) or calls are paused. */
export function rateLimitTight(l: RateLimitView): boolean {
  const close = (used: number, limit: number) => used * 10 >= limit * 9;
  return (
    l.paused_ms > 0 ||
    close(l.minute_used, l.minute_limit) ||
    (l.day_limited && close(l.day_used, l.day_limit)) ||
    (l.batches_used !== null && l.batches_limit !== null && close(l.batches_used, l.batches_limit))
  );
}
