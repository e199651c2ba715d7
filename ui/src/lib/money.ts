/**
 * Exact formatting of amounts.
 *
 * Amounts cross the IPC boundary as decimal strings ("1234.5", "-0.10") and are never turned into
 * JavaScript numbers: a float cannot hold 0.10 exactly, and a reviewer must see the very digits
 * the ledger will post. This module only moves characters around — it adds group separators,
 * pads the fraction to the currency's minor units and drops zeros beyond them — so the value shown
 * is always the value received.
 */

/** Separators to format with. */
export interface Separators {
  group: string;
  decimal: string;
}

const DECIMAL_RE = /^([+-]?)(\d+)(?:\.(\d+))?$/;

/** ISO 4217 currencies whose minor unit is not 2 (the common ones a supplier may invoice in). */
const MINOR_UNITS: Record<string, number> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0,
  UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
};

/** The number of decimals a currency is shown with: 2 unless ISO 4217 says otherwise. */
export function minorUnits(currency: string | null | undefined): number {
  if (!currency) return 2;
  return MINOR_UNITS[currency.toUpperCase()] ?? 2;
}

/** True when `value` is a plain decimal string this module can format exactly. */
export function isDecimal(value: string): boolean {
  return DECIMAL_RE.test(value.trim());
}

/**
 * The group and decimal separators of a locale, read from Intl with a constant probe (never an
 * amount). Falls back to "," and "." when the locale is unknown.
 */
export function localeSeparators(locale?: string | string[]): Separators {
  try {
    const parts = new Intl.NumberFormat(locale, { useGrouping: true }).formatToParts(12345.6);
    const group = parts.find((p) => p.type === 'group')?.value ?? ',';
    const decimal = parts.find((p) => p.type === 'decimal')?.value ?? '.';
    return { group, decimal };
  } catch {
    return { group: ',', decimal: '.' };
  }
}

function groupDigits(digits: string, group: string): string {
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += group;
    out += digits[i];
  }
  return out;
}

/**
 * Formats a decimal string exactly: `formatAmount("1234567.5")` is `"1,234,567.50"`.
 *
 * The fraction is padded to `minScale` digits and zeros beyond `minScale` are dropped (both leave
 * the value unchanged); significant digits are never rounded away. A string that is not a plain
 * decimal is returned as it came, so a surprise shows up on screen instead of a wrong number.
 */
export function formatAmount(
  value: string,
  minScale = 2,
  separators: Separators = { group: ',', decimal: '.' },
): string {
  const match = DECIMAL_RE.exec(value.trim());
  if (!match) return value;
  const sign = match[1] === '-' ? '-' : '';
  const integer = (match[2] ?? '0').replace(/^0+(?=\d)/, '');
  let fraction = match[3] ?? '';
  while (fraction.length > minScale && fraction.endsWith('0')) fraction = fraction.slice(0, -1);
  fraction = fraction.padEnd(minScale, '0');
  const isZero = /^0*$/.test(integer) && /^0*$/.test(fraction);
  const grouped = groupDigits(integer, separators.group);
  return (isZero ? '' : sign) + grouped + (fraction ? separators.decimal + fraction : '');
}

/** Formats an amount of a currency with that currency's minor units: `"1,234.50"`, `"1,235"` (JPY). */
export function formatMoney(value: string, currency: string, separators?: Separators): string {
  return formatAmount(value, minorUnits(currency), separators);
}

/** Formats a quantity or a rate: no padding, trailing zeros dropped (`"2.500"` → `"2.5"`). */
export function formatQuantity(value: string, separators?: Separators): string {
  return formatAmount(value, 0, separators);
}

/**
 * A decimal string as an integer count of units of `10^-scale` (rounded toward zero beyond
 * `scale`), as a BigInt: exact, for comparing and scaling amounts without floats.
 */
export function toScaledBigInt(value: string, scale = 4): bigint | null {
  const match = DECIMAL_RE.exec(value.trim());
  if (!match) return null;
  const fraction = (match[3] ?? '').slice(0, scale).padEnd(scale, '0');
  const magnitude = BigInt((match[2] ?? '0') + fraction);
  return match[1] === '-' ? -magnitude : magnitude;
}

/**
 * How long a chart bar for `value` is next to the largest `max`, in thousandths (0–1000),
 * computed on exact integers. Negative values count as their size.
 */
export function barPermille(value: string, max: string): number {
  const v = toScaledBigInt(value);
  const m = toScaledBigInt(max);
  if (v === null || m === null || m === 0n) return 0;
  const abs = (x: bigint) => (x < 0n ? -x : x);
  const permille = (abs(v) * 1000n) / abs(m);
  return Number(permille > 1000n ? 1000n : permille);
}

/** The largest of decimal strings by size (exact), or "0". */
export function largest(values: string[]): string {
  let best = '0';
  let bestValue = 0n;
  for (const v of values) {
    const n = toScaledBigInt(v);
    if (n === null) continue;
    const size = n < 0n ? -n : n;
    if (size > bestValue) {
      bestValue = size;
      best = v;
    }
  }
  return best;
}
