import { describe, expect, it } from 'vitest';
import { band, percent, thousandths } from './confidence';

describe('confidence', () => {
  it('reads decimal strings digit by digit', () => {
    expect(thousandths('0.85')).toBe(850);
    expect(thousandths('0.857')).toBe(857);
    expect(thousandths('1')).toBe(1000);
    expect(thousandths('1.000')).toBe(1000);
    expect(thousandths('0')).toBe(0);
    expect(thousandths('abc')).toBeNull();
    expect(thousandths(null)).toBeNull();
  });

  it('bands and percentages', () => {
    expect(band('0.95')).toBe('high');
    expect(band('0.9')).toBe('high');
    expect(band('0.8')).toBe('medium');
    expect(band('0.799')).toBe('low');
    expect(band(null)).toBe('none');
    expect(percent('0.85')).toBe('85%');
    expect(percent('0.857')).toBe('85.7%');
    expect(percent('1')).toBe('100%');
  });
});
