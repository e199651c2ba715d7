/**
 * Errors from the Rust side arrive as folio-app's `AppError` (`{code, message, problems}`). Anything
 * else that rejects — a missing command, a webview without Tauri — is wrapped into the same shape so
 * that every screen has one kind of error to show.
 */
import type { AppError } from '../bindings/AppError';

/**
 * An error as the UI shows it: folio-app's `AppError`, or `IPC_ERROR` when the desktop shell
 * itself failed (no such command, no Tauri runtime).
 */
export type IpcError = Omit<AppError, 'code'> & { code: AppError['code'] | 'IPC_ERROR' };

export function isAppError(value: unknown): value is IpcError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === 'string' && typeof v.message === 'string' && Array.isArray(v.problems);
}

export function toAppError(error: unknown): IpcError {
  if (isAppError(error)) return error;
  const message =
    error instanceof Error ? error.message : typeof error === 'string' ? error : JSON.stringify(error);
  return { code: 'IPC_ERROR', message: message || 'The desktop shell did not answer.', problems: [] };
}
