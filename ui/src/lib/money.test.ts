import { describe, expect, it } from 'vitest';
import { formatAmount, formatMoney, formatQuantity, isDecimal, minorUnits } from './money';

describe('formatAmount', () => {
  it('groups thousands and pads to two decimals', () => {
    expect(formatAmount('1234567.5')).toBe('1,234,567.50');
    expect(formatAmount('1000')).toBe('1,000.00');
    expect(formatAmount('999.99')).toBe('999.99');
    expect(formatAmount('0.1')).toBe('0.10');
  });

  it('keeps the sign of negative amounts, and drops it from zero', () => {
    expect(formatAmount('-1234.5')).toBe('-1,234.50');
    expect(formatAmount('-0.00')).toBe('0.00');
    expect(formatAmount('+12')).toBe('12.00');
  });

  it('never rounds: significant digits beyond the scale are kept', () => {
    expect(formatAmount('1.005')).toBe('1.005');
    expect(formatAmount('12345678901234567890.123456789')).toBe(
      '12,345,678,901,234,567,890.123456789',
    );
  });

  it('drops only zeros beyond the minimum scale', () => {
    expect(formatAmount('10.500')).toBe('10.50');
    expect(formatAmount('10.5000', 3)).toBe('10.500');
    expect(formatAmount('007.10')).toBe('7.10');
  });

  it('is exact where a float is not', () => {
    // 0.1 + 0.2 in floating point is 0.30000000000000004; strings stay exact.
    expect(formatAmount('0.30')).toBe('0.30');
    // Beyond 2^53 a float loses units; the string formatter does not.
    expect(formatAmount('9007199254740993.01')).toBe('9,007,199,254,740,993.01');
  });

  it('uses the separators it is given', () => {
    expect(formatAmount('1234567.5', 2, { group: '.', decimal: ',' })).toBe('1.234.567,50');
    expect(formatAmount('1234.5', 2, { group: '\u202f', decimal: ',' })).toBe('1\u202f234,50');
  });

  it('returns a string that is not a decimal unchanged', () => {
    expect(formatAmount('1e3')).toBe('1e3');
    expect(formatAmount('')).toBe('');
    expect(formatAmount('abc')).toBe('abc');
    expect(isDecimal('12.30')).toBe(true);
    expect(isDecimal('12.')).toBe(false);
  });
});

describe('formatMoney', () => {
  it('uses the minor units of the currency', () => {
    expect(formatMoney('1234.5', 'EUR')).toBe('1,234.50');
    expect(formatMoney('1234', 'JPY')).toBe('1,234');
    expect(formatMoney('1234.5', 'KWD')).toBe('1,234.500');
    expect(minorUnits('usd')).toBe(2);
    expect(minorUnits(null)).toBe(2);
  });
});

describe('formatQuantity', () => {
  it('drops trailing zeros and pads nothing', () => {
    expect(formatQuantity('2.500')).toBe('2.5');
    expect(formatQuantity('1000')).toBe('1,000');
    expect(formatQuantity('19.00')).toBe('19');
  });
});

describe('chart proportions on exact integers', () => {
  it('scales bars without floats', async () => {
    const { barPermille, largest, toScaledBigInt } = await import('./money');
    expect(toScaledBigInt('1234.5')).toBe(12345000n);
    expect(toScaledBigInt('-0.10')).toBe(-1000n);
    expect(toScaledBigInt('12345678901234567890.12')).toBe(123456789012345678901200n);
    expect(barPermille('50', '200')).toBe(250);
    expect(barPermille('0.1', '0.3')).toBe(333);
    expect(barPermille('-75', '100')).toBe(750);
    expect(barPermille('5', '0')).toBe(0);
    expect(barPermille('12345678901234567890.12', '12345678901234567890.12')).toBe(1000);
    expect(largest(['10.5', '-200', '199.99'])).toBe('-200');
    expect(largest([])).toBe('0');
  });
});
