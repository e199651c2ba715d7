/**
 * Confidence as the reviewer sees it: a band (and its colour class) from a decimal string in
 * [0, 1], compared as text of digits so no float is involved.
 */

export type Band = 'high' | 'medium' | 'low' | 'none';

/** `"0.950"` → 950: thousandths, from the digits. Null when it is not a confidence. */
export function thousandths(confidence: string | null | undefined): number | null {
  if (confidence == null) return null;
  const m = /^(0|1)(?:\.(\d{1,3})\d*)?$/.exec(confidence.trim());
  if (!m) return null;
  const whole = m[1] === '1' ? 1000 : 0;
  const fraction = Number((m[2] ?? '').padEnd(3, '0'));
  return Math.min(1000, whole + fraction);
}

/** High from 0.9, medium from the threshold (0.8 unless given), low below it. */
export function band(confidence: string | null | undefined, thresholdThousandths = 800): Band {
  const t = thousandths(confidence);
  if (t === null) return 'none';
  if (t >= 900) return 'high';
  if (t >= thresholdThousandths) return 'medium';
  return 'low';
}

/** `"0.85"` → `"85%"`, by moving digits. */
export function percent(confidence: string | null | undefined): string {
  const t = thousandths(confidence);
  if (t === null) return '';
  const whole = Math.floor(t / 10);
  const tenth = t % 10;
  return tenth === 0 ? `${whole}%` : `${whole}.${tenth}%`;
}
