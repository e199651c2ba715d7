import { describe, expect, it } from 'vitest';
import { formatDate } from './dates';

describe('formatDate', () => {
  it('formats an ISO date in the given locale without shifting the day', () => {
    expect(formatDate('2026-03-05', 'en-GB')).toBe('05 Mar 2026');
    expect(formatDate('2026-03-05', 'en-US')).toBe('Mar 05, 2026');
    expect(formatDate('2026-12-31', 'de-DE')).toBe('31. Dez. 2026');
    expect(formatDate('2026-01-01', 'en-GB')).toBe('01 Jan 2026');
  });

  it('has a short numeric style for dense lists', () => {
    expect(formatDate('2026-03-05', 'en-GB', 'short')).toBe('05/03/2026');
    expect(formatDate('2026-03-05', 'en-US', 'short')).toBe('03/05/2026');
    expect(formatDate('2026-03-05', 'de-DE', 'short')).toBe('05.03.2026');
  });

  it('falls back to the default locale for a tag Intl does not know', () => {
    expect(formatDate('2026-03-05', 'not a locale!')).toMatch(/2026/);
  });

  it('shows what is not a valid ISO date as it came', () => {
    expect(formatDate('2026-02-30', 'en-GB')).toBe('2026-02-30');
    expect(formatDate('05.03.2026', 'en-GB')).toBe('05.03.2026');
    expect(formatDate(null)).toBe('');
    expect(formatDate(undefined)).toBe('');
  });
});
