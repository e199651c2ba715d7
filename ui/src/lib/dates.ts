/**
 * Calendar dates in the user's locale.
 *
 * Document dates arrive as ISO `YYYY-MM-DD` strings with no time zone. They are formatted as UTC
 * midnight in UTC so that no offset can move a due date to the day before; anything that is not a
 * valid ISO date is shown as it came.
 */

const ISO_DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `long` is `05 Mar 2026` (en-GB) / `Mar 05, 2026` (en-US); `short` is `05/03/2026` / `03/05/2026`. */
export type DateStyle = 'long' | 'short';

/** Formats `2026-03-05` in the given locale, in the given style. */
export function formatDate(
  iso: string | null | undefined,
  locale?: string | string[],
  style: DateStyle = 'long',
): string {
  if (!iso) return '';
  const match = ISO_DATE_RE.exec(iso);
  if (!match) return iso;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return iso;
  }
  const options: Intl.DateTimeFormatOptions = {
    year: 'numeric',
    month: style === 'long' ? 'short' : '2-digit',
    day: '2-digit',
    timeZone: 'UTC',
  };
  for (const candidate of [locale, undefined]) {
    try {
      return new Intl.DateTimeFormat(candidate, options).format(date);
    } catch {
      // An unknown locale: try the runtime's default, then give up and show the ISO date.
    }
  }
  return iso;
}
