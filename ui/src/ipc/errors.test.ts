import { describe, expect, it } from 'vitest';
import { isAppError, toAppError } from './errors';

describe('toAppError', () => {
  it('passes an AppError through unchanged', () => {
    const error = { code: 'WORKSPACE_NOT_FOUND', message: 'no workspace at /x', problems: [] };
    expect(toAppError(error)).toBe(error);
    expect(isAppError(error)).toBe(true);
  });

  it('wraps strings and Errors into the same shape', () => {
    expect(toAppError('command list_documents not found')).toEqual({
      code: 'IPC_ERROR',
      message: 'command list_documents not found',
      problems: [],
    });
    expect(toAppError(new Error('boom')).message).toBe('boom');
    expect(isAppError({ code: 'X', message: 'm' })).toBe(false);
  });
});
