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

/**
 * Formatters by locale and style: building an Intl.DateTimeFormat costs far more than formatting
 * with one, and the review queue formats two dates per row on every scroll.
 */
const formatters = new Map<string, Intl.DateTimeFormat | null>();

function formatter(locale: string | string[] | undefined, style: DateStyle): Intl.DateTimeFormat | null {
  const key = `${JSON.stringify(locale ?? null)}|${style}`;
  let found = formatters.get(key);
  if (found === undefined) {
    const options: Intl.DateTimeFormatOptions = {
      year: 'numeric',
      month: style === 'long' ? 'short' : '2-digit',
      day: '2-digit',
      timeZone: 'UTC',
    };
    found = null;
    for (const candidate of [locale, undefined]) {
      try {
        found = new Intl.DateTimeFormat(candidate, options);
        break;
      } catch {
        // An unknown locale: try the runtime's default, then give up and show the ISO date.
      }
    }
    formatters.set(key, found);
  }
  return found;
}

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
  return formatter(locale, style)?.format(date) ?? iso;
}
