/**
 * The user's locale, applied where it is safe: separators for amounts (the digits themselves stay
 * exact, see money.ts) and calendar dates. Read once from the webview.
 */
import { formatDate, type DateStyle } from './dates';
import { formatMoney, formatQuantity, localeSeparators, type Separators } from './money';

/** The webview's language if Intl knows it (a bare POSIX "C" locale is not a BCP 47 tag). */
function detectLocale(): string | undefined {
  const tag = typeof navigator !== 'undefined' ? navigator.language : undefined;
  if (!tag) return undefined;
  try {
    return Intl.DateTimeFormat.supportedLocalesOf([tag])[0];
  } catch {
    return undefined;
  }
}

const userLocale: string | undefined = detectLocale();

const separators: Separators = localeSeparators(userLocale);

/** An amount of `currency`, exactly, with the user's separators. */
export function money(value: string | null | undefined, currency: string): string {
  return value == null ? '' : formatMoney(value, currency, separators);
}

/** A quantity or a rate, exactly, with the user's separators. */
export function quantity(value: string | null | undefined): string {
  return value == null ? '' : formatQuantity(value, separators);
}

/** A calendar date in the user's locale (`short`: numeric, for dense lists). */
export function date(iso: string | null | undefined, style: DateStyle = 'long'): string {
  return formatDate(iso, userLocale, style);
}
