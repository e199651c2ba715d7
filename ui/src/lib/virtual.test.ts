import { describe, expect, it } from 'vitest';
import { pagesFor, scrollToRow, visibleWindow } from './virtual';

describe('visibleWindow', () => {
  it('renders only the rows in view, plus the overscan', () => {
    const w = visibleWindow(28_000 * 28, 560, 28, 100_000, 5);
    expect(w.start).toBe(27_995);
    expect(w.end).toBe(28_000 + 21 + 5);
    expect(w.end - w.start).toBeLessThan(40);
    expect(w.offsetTop).toBe(27_995 * 28);
    expect(w.totalHeight).toBe(2_800_000);
  });

  it('handles the top, the bottom and an empty list', () => {
    expect(visibleWindow(0, 560, 28, 100_000, 5)).toMatchObject({ start: 0, end: 26, offsetTop: 0 });
    const bottom = visibleWindow(10_000_000, 560, 28, 100, 5);
    expect(bottom.end).toBe(100);
    expect(bottom.start).toBe(99);
    expect(visibleWindow(0, 560, 28, 0)).toEqual({ start: 0, end: 0, offsetTop: 0, totalHeight: 0 });
  });
});

describe('pagesFor', () => {
  it('lists the pages a window spans', () => {
    expect(pagesFor(0, 30, 200)).toEqual([0]);
    expect(pagesFor(190, 230, 200)).toEqual([0, 1]);
    expect(pagesFor(5, 5, 200)).toEqual([]);
  });
});

describe('scrollToRow', () => {
  it('scrolls just enough', () => {
    expect(scrollToRow(10, 0, 280, 28)).toBe(28 * 11 - 280);
    expect(scrollToRow(3, 0, 280, 28)).toBeNull();
    expect(scrollToRow(2, 200, 280, 28)).toBe(56);
  });
});
