/**
 * The review queue's keyboard: which key does what, as a pure function so it can be tested
 * without a window. Keys typed into a text field belong to the field, never to the queue.
 */

export type QueueAction =
  | { kind: 'move'; by: number }
  | { kind: 'jump'; to: 'first' | 'last' }
  | { kind: 'open' }
  | { kind: 'approve' }
  | { kind: 'edit' }
  | { kind: 'search' }
  | { kind: 'help' }
  | { kind: 'close' };

/** What the handler needs to know about a key press. */
export interface KeyPress {
  key: string;
  altKey?: boolean;
  ctrlKey?: boolean;
  metaKey?: boolean;
  /** The tag of the focused element (`INPUT`, `TEXTAREA`, `SELECT`, …). */
  targetTag?: string;
  targetEditable?: boolean;
}

/** The rows a page key moves by. */
export const PAGE_ROWS = 20;

/** The shortcut list the `?` dialog shows. */
export const SHORTCUTS: ReadonlyArray<{ keys: string; does: string }> = [
  { keys: 'j / ↓', does: 'next document' },
  { keys: 'k / ↑', does: 'previous document' },
  { keys: 'PgDn / PgUp', does: `${PAGE_ROWS} documents down / up` },
  { keys: 'Home / End', does: 'first / last document' },
  { keys: 'Enter', does: 'open the document' },
  { keys: 'a', does: 'approve the document' },
  { keys: 'e', does: 'edit the coding of the document' },
  { keys: '/', does: 'search' },
  { keys: '?', does: 'this help' },
  { keys: 'Esc', does: 'close a dialog or leave the search' },
];

function inTextField(press: KeyPress): boolean {
  const tag = (press.targetTag ?? '').toUpperCase();
  return press.targetEditable === true || tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT';
}

/** The queue action of a key press, or null when the queue should leave it alone. */
export function queueAction(press: KeyPress): QueueAction | null {
  if (press.altKey || press.ctrlKey || press.metaKey) return null;
  if (press.key === 'Escape') return { kind: 'close' };
  if (inTextField(press)) return null;
  switch (press.key) {
    case 'j':
    case 'ArrowDown':
      return { kind: 'move', by: 1 };
    case 'k':
    case 'ArrowUp':
      return { kind: 'move', by: -1 };
    case 'PageDown':
      return { kind: 'move', by: PAGE_ROWS };
    case 'PageUp':
      return { kind: 'move', by: -PAGE_ROWS };
    case 'Home':
      return { kind: 'jump', to: 'first' };
    case 'End':
      return { kind: 'jump', to: 'last' };
    case 'Enter':
      return { kind: 'open' };
    case 'a':
      return { kind: 'approve' };
    case 'e':
      return { kind: 'edit' };
    case '/':
      return { kind: 'search' };
    case '?':
      return { kind: 'help' };
    default:
      return null;
  }
}

/** The index after a move, kept inside `0..count` (or 0 when there is nothing). */
export function moveIndex(current: number, action: QueueAction, count: number): number {
  if (count <= 0) return 0;
  const clamp = (n: number) => Math.max(0, Math.min(count - 1, n));
  if (action.kind === 'move') return clamp(current + action.by);
  if (action.kind === 'jump') return action.to === 'first' ? 0 : count - 1;
  return clamp(current);
}
