import { describe, expect, it } from 'vitest';
import { moveIndex, PAGE_ROWS, queueAction } from './keyboard';

describe('queueAction', () => {
  it.each([
    ['j', { kind: 'move', by: 1 }],
    ['ArrowDown', { kind: 'move', by: 1 }],
    ['k', { kind: 'move', by: -1 }],
    ['ArrowUp', { kind: 'move', by: -1 }],
    ['PageDown', { kind: 'move', by: PAGE_ROWS }],
    ['Home', { kind: 'jump', to: 'first' }],
    ['End', { kind: 'jump', to: 'last' }],
    ['Enter', { kind: 'open' }],
    ['a', { kind: 'approve' }],
    ['e', { kind: 'edit' }],
    ['/', { kind: 'search' }],
    ['?', { kind: 'help' }],
    ['Escape', { kind: 'close' }],
  ])('maps %s', (key, action) => {
    expect(queueAction({ key, targetTag: 'TABLE' })).toEqual(action);
  });

  it('leaves keys typed into a field to the field', () => {
    for (const tag of ['INPUT', 'textarea', 'SELECT']) {
      expect(queueAction({ key: 'a', targetTag: tag })).toBeNull();
      expect(queueAction({ key: 'j', targetTag: tag })).toBeNull();
    }
    expect(queueAction({ key: '/', targetEditable: true })).toBeNull();
    // Escape still leaves the field.
    expect(queueAction({ key: 'Escape', targetTag: 'INPUT' })).toEqual({ kind: 'close' });
  });

  it('ignores keys with modifiers and unknown keys', () => {
    expect(queueAction({ key: 'a', ctrlKey: true })).toBeNull();
    expect(queueAction({ key: 'j', metaKey: true })).toBeNull();
    expect(queueAction({ key: 'j', altKey: true })).toBeNull();
    expect(queueAction({ key: 'x' })).toBeNull();
    expect(queueAction({ key: 'A' })).toBeNull();
  });
});

describe('moveIndex', () => {
  it('stays within the rows', () => {
    expect(moveIndex(0, { kind: 'move', by: -1 }, 10)).toBe(0);
    expect(moveIndex(9, { kind: 'move', by: 1 }, 10)).toBe(9);
    expect(moveIndex(3, { kind: 'move', by: 1 }, 10)).toBe(4);
    expect(moveIndex(5, { kind: 'move', by: PAGE_ROWS }, 100_000)).toBe(25);
    expect(moveIndex(5, { kind: 'jump', to: 'last' }, 100_000)).toBe(99_999);
    expect(moveIndex(5, { kind: 'jump', to: 'first' }, 100_000)).toBe(0);
    expect(moveIndex(7, { kind: 'move', by: 1 }, 0)).toBe(0);
    expect(moveIndex(12, { kind: 'open' }, 10)).toBe(9);
  });
});
