// How a cloud GL's rate limits are shown in the sync monitor: one sentence from a RateLimitView,
// naming what is nearly used up and, after the API asked to wait, how long every call is held.
import type { RateLimitView } from '../bindings/RateLimitView';

/** Whole seconds, rounded up (a pause of 200 ms still reads "1 s"). */
function seconds(ms: number): number {
  return Math.ceil(ms / 1000);
}

/** The limits as one line: calls this minute, today and in progress against each limit. */
export function rateLimitText(l: RateLimitView): string {
  const parts = [
    `${l.minute_used}/${l.minute_limit} calls this minute`,
    `${l.day_used}/${l.day_limit} today`,
    `${l.in_flight}/${l.concurrent_limit} in progress`,
  ];
  if (l.api_minute_remaining !== null || l.api_day_remaining !== null) {
    const said = [
      l.api_minute_remaining !== null ? `${l.api_minute_remaining} this minute` : null,
      l.api_day_remaining !== null ? `${l.api_day_remaining} today` : null,
    ].filter((p) => p !== null);
    parts.push(`${l.api} says ${said.join(', ')} left`);
  }
  let text = `${l.api} limits for ${l.tenant}: ${parts.join(' · ')}`;
  if (l.paused_ms > 0) {
    text += `. Paused ${seconds(l.paused_ms)} s: ${l.api} asked to wait` + (l.last_problem ? ` (${l.last_problem} limit)` : '');
  } else if (l.last_problem) {
    text += `. Last limit hit: ${l.last_problem}`;
  }
  return text + '.';
}

/** Whether a limit is close (90 % of the minute or the day used) or calls are paused. */
export function rateLimitTight(l: RateLimitView): boolean {
  return l.paused_ms > 0 || l.minute_used * 10 >= l.minute_limit * 9 || l.day_used * 10 >= l.day_limit * 9;
}
