/**
 * The one door between the UI and the Rust side.
 *
 * Only this folder imports `@tauri-apps/*`: every screen calls the typed functions below, so the
 * command names, argument shapes and error normalisation live in one place, and the rest of the UI
 * can be tested without a webview. Each function maps one-to-one onto a Tauri command in
 * `src-tauri/src/commands.rs`, which in turn is a few lines over `folio_app::Workspace`.
 */
import { invoke } from '@tauri-apps/api/core';
import type { DocumentDetail } from '../bindings/DocumentDetail';
import type { DocumentSummary } from '../bindings/DocumentSummary';
import type { JournalView } from '../bindings/JournalView';
import type { WorkspaceInfo } from '../bindings/WorkspaceInfo';
import { toAppError, type IpcError } from './errors';

export type { AppError } from '../bindings/AppError';
export type { DocumentDetail } from '../bindings/DocumentDetail';
export type { DocumentSummary } from '../bindings/DocumentSummary';
export type { JournalView } from '../bindings/JournalView';
export type { Problem } from '../bindings/Problem';
export type { WorkspaceInfo } from '../bindings/WorkspaceInfo';
export { isAppError, toAppError, type IpcError } from './errors';

/** Where the window looks for its workspace, and why there (desktop-only type, not from folio-app). */
export interface WorkspaceLocation {
  /** Absolute path of the workspace folder. */
  path: string;
  /** `argument` (--workspace), `environment` (FOLIO_WORKSPACE) or `default` (OS data dir). */
  source: 'argument' | 'environment' | 'default';
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw toAppError(error) satisfies IpcError;
  }
}

/** The workspace folder this window was started on. Never fails. */
export function workspaceLocation(): Promise<WorkspaceLocation> {
  return call<WorkspaceLocation>('workspace_location');
}

/** Opens the workspace if it is not open yet and describes it; rejects with `WORKSPACE_NOT_FOUND` etc. */
export function workspaceInfo(): Promise<WorkspaceInfo> {
  return call<WorkspaceInfo>('workspace_info');
}

/** Every document in the workspace, in the order the workspace lists them. */
export function listDocuments(): Promise<DocumentSummary[]> {
  return call<DocumentSummary[]>('list_documents');
}

/** One document with its problems and the facts of its original file. */
export function showDocument(id: string): Promise<DocumentDetail> {
  return call<DocumentDetail>('show_document', { id });
}

/** The journal Folio would post for a document, with its balance check and problems. */
export function journalDraft(id: string): Promise<JournalView> {
  return call<JournalView>('journal_draft', { id });
}
