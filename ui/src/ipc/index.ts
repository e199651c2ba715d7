/**
 * The one door between the UI and the Rust side.
 *
 * Only this folder imports `@tauri-apps/*`: every screen calls the typed functions below, so the
 * command names, argument shapes and error normalisation live in one place, and the rest of the UI
 * can be tested without a webview. Each function maps one-to-one onto a Tauri command in
 * `src-tauri/src/commands.rs`, which in turn is a few lines over `folio_app::Workspace`.
 */
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import { getCurrentWebview } from '@tauri-apps/api/webview';
import { open as openDialog } from '@tauri-apps/plugin-dialog';
import type { DocumentDetail } from '../bindings/DocumentDetail';
import type { DocumentOpenView } from '../bindings/DocumentOpenView';
import type { DocumentSummary } from '../bindings/DocumentSummary';
import type { JournalView } from '../bindings/JournalView';
import type { WorkspaceInfo } from '../bindings/WorkspaceInfo';
import type { ApproveOutcome } from '../bindings/ApproveOutcome';
import type { BulkPreview } from '../bindings/BulkPreview';
import type { CodeLineRequest } from '../bindings/CodeLineRequest';
import type { CodeReport } from '../bindings/CodeReport';
import type { CodingChoices } from '../bindings/CodingChoices';
import type { ExceptionsReport } from '../bindings/ExceptionsReport';
import type { ExplainView } from '../bindings/ExplainView';
import type { GlCallView } from '../bindings/GlCallView';
import type { GlConnectionView } from '../bindings/GlConnectionView';
import type { ImportProgress } from '../bindings/ImportProgress';
import type { ImportRun } from '../bindings/ImportRun';
import type { OutboxView } from '../bindings/OutboxView';
import type { OutboxActionView } from '../bindings/OutboxActionView';
import type { QueueFilter } from '../bindings/QueueFilter';
import type { QueuePageView } from '../bindings/QueuePageView';
import type { QueueSort } from '../bindings/QueueSort';
import type { SyncReport } from '../bindings/SyncReport';
import type { RateLimitView } from '../bindings/RateLimitView';
import type { UserView } from '../bindings/UserView';
import type { ApprovalStatusView } from '../bindings/ApprovalStatusView';
import type { DecisionView } from '../bindings/DecisionView';
import type { RulePackInfo } from '../bindings/RulePackInfo';
import type { RulesTestReport } from '../bindings/RulesTestReport';
import type { RulesDiffReport } from '../bindings/RulesDiffReport';
import type { OverviewView } from '../bindings/OverviewView';
import type { PullReport } from '../bindings/PullReport';
import type { ForgetVendorReport } from '../bindings/ForgetVendorReport';
import type { HistoryImportReport } from '../bindings/HistoryImportReport';
import type { LearnedModelView } from '../bindings/LearnedModelView';
import { toAppError, type IpcError } from './errors';

export type { AppError } from '../bindings/AppError';
export type { DocumentDetail } from '../bindings/DocumentDetail';
export type { DocumentOpenView } from '../bindings/DocumentOpenView';
export type { DocumentSummary } from '../bindings/DocumentSummary';
export type { JournalView } from '../bindings/JournalView';
export type { Problem } from '../bindings/Problem';
export type { WorkspaceInfo } from '../bindings/WorkspaceInfo';
export type { ApproveOutcome } from '../bindings/ApproveOutcome';
export type { BulkPreview } from '../bindings/BulkPreview';
export type { CodeLineRequest } from '../bindings/CodeLineRequest';
export type { CodeReport } from '../bindings/CodeReport';
export type { CodingChoices } from '../bindings/CodingChoices';
export type { ExceptionsReport } from '../bindings/ExceptionsReport';
export type { ExplainView } from '../bindings/ExplainView';
export type { GlCallView } from '../bindings/GlCallView';
export type { GlConnectionView } from '../bindings/GlConnectionView';
export type { ImportProgress } from '../bindings/ImportProgress';
export type { ImportRun } from '../bindings/ImportRun';
export type { OutboxView } from '../bindings/OutboxView';
export type { OutboxActionView } from '../bindings/OutboxActionView';
export type { QueueFilter } from '../bindings/QueueFilter';
export type { QueuePageView } from '../bindings/QueuePageView';
export type { QueueSort } from '../bindings/QueueSort';
export type { SyncReport } from '../bindings/SyncReport';
export type { RateLimitView } from '../bindings/RateLimitView';
export type { QueueRowView } from '../bindings/QueueRowView';
export type { LineExplanation } from '../bindings/LineExplanation';
export type { FieldExplanation } from '../bindings/FieldExplanation';
export type { ProposalView } from '../bindings/ProposalView';
export type { CodingExplanation } from '../bindings/CodingExplanation';
export type { CodeChoice } from '../bindings/CodeChoice';
export type { DimensionChoices } from '../bindings/DimensionChoices';
export type { ImportOutcome } from '../bindings/ImportOutcome';
export type { ExceptionGroup } from '../bindings/ExceptionGroup';
export type { CurrencyAmount } from '../bindings/CurrencyAmount';
export type { JournalLineView } from '../bindings/JournalLineView';
export type { UserView } from '../bindings/UserView';
export type { ApprovalStatusView } from '../bindings/ApprovalStatusView';
export type { DecisionView } from '../bindings/DecisionView';
export type { RulePackInfo } from '../bindings/RulePackInfo';
export type { RulesTestReport } from '../bindings/RulesTestReport';
export type { RulesDiffReport } from '../bindings/RulesDiffReport';
export type { OverviewView } from '../bindings/OverviewView';
export type { SpendRow } from '../bindings/SpendRow';
export type { PayableSum } from '../bindings/PayableSum';
export type { ForgetVendorReport } from '../bindings/ForgetVendorReport';
export type { HistoryImportReport } from '../bindings/HistoryImportReport';
export type { LearnedModelView } from '../bindings/LearnedModelView';
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

/**
 * What the document view shows, in one call: the document, its journal draft and how it is coded
 * (a journal or coding that cannot be made comes back as its error, beside the document).
 */
export function openDocument(id: string): Promise<DocumentOpenView> {
  return call<DocumentOpenView>('open_document', { id });
}

/** The journal Folio would post for a document, with its balance check and problems. */
export function journalDraft(id: string): Promise<JournalView> {
  return call<JournalView>('journal_draft', { id });
}

/** One page of the review queue: filtered, sorted and counted in Rust. */
export function reviewQueue(
  filter: QueueFilter,
  sort: QueueSort,
  offset: number,
  limit: number,
): Promise<QueuePageView> {
  return call<QueuePageView>('review_queue', { filter, sort, offset, limit });
}

/** The bytes of a document's original file. */
export async function originalFile(id: string): Promise<Uint8Array> {
  const buffer = await call<ArrayBuffer>('original_file', { id });
  return new Uint8Array(buffer);
}

/** How each line is coded and why. */
export function explain(id: string): Promise<ExplainView> {
  return call<ExplainView>('explain', { id });
}

/** Records a person's coding of one line; the journal draft is rebuilt. */
export function codeLine(request: CodeLineRequest): Promise<CodeReport> {
  return call<CodeReport>('code_line', { request });
}

/** Accounts, dimension values and tax codes for autocomplete. */
export function codingChoices(): Promise<CodingChoices> {
  return call<CodingChoices>('coding_choices');
}

/** Imports files and folders; `onprogress` hears about each file as it is done. */
export async function importPaths(
  paths: string[],
  onprogress: (progress: ImportProgress) => void,
): Promise<ImportRun> {
  const unlisten = await listen<ImportProgress>('import-progress', (event) => onprogress(event.payload));
  try {
    return await call<ImportRun>('import_paths', { paths });
  } finally {
    unlisten();
  }
}

/** The extensions Folio imports (folio-app's INVOICE_EXTENSIONS). */
export const INVOICE_EXTENSIONS = ['xml', 'pdf', 'csv', 'xlsx'];

/**
 * Asks the person for files (several at once) or folders with the system's file dialog; resolves
 * to the chosen paths, or to none when the dialog was cancelled.
 */
export async function chooseImportPaths(what: 'files' | 'folders'): Promise<string[]> {
  try {
    const chosen =
      what === 'files'
        ? await openDialog({
            title: 'Import invoices',
            multiple: true,
            directory: false,
            filters: [{ name: 'Invoices', extensions: INVOICE_EXTENSIONS }],
          })
        : await openDialog({ title: 'Import folders of invoices', multiple: true, directory: true });
    if (chosen === null) return [];
    return Array.isArray(chosen) ? chosen : [chosen];
  } catch (error) {
    throw toAppError(error) satisfies IpcError;
  }
}

/** Calls `ondrop` with the paths of files and folders dropped on the window. */
export function onFileDrop(
  ondrop: (paths: string[]) => void,
  onhover: (hovering: boolean) => void,
): Promise<UnlistenFn> {
  return getCurrentWebview().onDragDropEvent((event) => {
    const payload = event.payload;
    if (payload.type === 'over' || payload.type === 'enter') onhover(true);
    else if (payload.type === 'leave') onhover(false);
    else if (payload.type === 'drop') {
      onhover(false);
      ondrop(payload.paths);
    }
  });
}

/** Approves and queues the journals of the given documents. */
export function approve(ids: string[]): Promise<ApproveOutcome[]> {
  return call<ApproveOutcome[]>('approve', { ids });
}

/** Count and totals of what a bulk approval of `filter` would approve. */
export function bulkApprovePreview(filter: QueueFilter): Promise<BulkPreview> {
  return call<BulkPreview>('bulk_approve_preview', { filter });
}

/** Approves everything open under `filter`, if it is still what was confirmed. */
export function bulkApprove(filter: QueueFilter, confirmed: BulkPreview): Promise<ApproveOutcome[]> {
  return call<ApproveOutcome[]>('bulk_approve', { filter, confirmed });
}

/** Posts the outbox to the GL. */
export function sync(): Promise<SyncReport> {
  return call<SyncReport>('sync');
}

export function outbox(): Promise<OutboxView[]> {
  return call<OutboxView[]>('outbox');
}

/** Retries outbox entries: queued ones become due now, ones in doubt are looked up in the GL. */
export function outboxRetry(references: string[]): Promise<OutboxActionView[]> {
  return call<OutboxActionView[]>('outbox_retry', { references });
}

/**
 * Resolves an outbox entry in doubt: without `byHand`, looks it up in the GL now; with it, records
 * (a controller only) that the person found it in the GL as `glId`, with their note as evidence.
 */
export function outboxResolve(
  reference: string,
  byHand: { glId: string; note: string } | null = null,
): Promise<OutboxActionView> {
  return call<OutboxActionView>('outbox_resolve', {
    reference,
    glId: byHand?.glId ?? null,
    note: byHand?.note ?? null,
  });
}

export function glLog(limit: number): Promise<GlCallView[]> {
  return call<GlCallView[]>('gl_log', { limit });
}

export function glConnection(): Promise<GlConnectionView> {
  return call<GlConnectionView>('gl_connection');
}

/** Connects the GL; the secret goes to the OS keychain and never comes back. */
export function glConnect(settings: {
  kind: string;
  url: string | null;
  ledger: string | null;
  user: string | null;
  secret: string | null;
}): Promise<GlConnectionView> {
  return call<GlConnectionView>('gl_connect', settings);
}

/**
 * Signs in to Xero in the system browser and connects the workspace to the organisation; the
 * tokens go to the OS keychain and never come back. `onurl` hears the sign-in URL (to show it
 * when no browser opens). Resolves when the browser has come back.
 */
export async function glConnectXero(
  settings: { clientId: string; tenant: string | null; postAs: string | null },
  onurl: (url: string) => void,
): Promise<GlConnectionView> {
  const unlisten = await listen<string>('gl-sign-in-url', (event) => onurl(event.payload));
  try {
    return await call<GlConnectionView>('gl_connect_xero', settings);
  } finally {
    unlisten();
  }
}

/**
 * Connects QuickBooks Online with the company's Intuit app: the client secret goes to the OS
 * keychain and is never shown again; the sign-in opens in the system browser (`onurl` hears its
 * URL). Resolves when the browser has come back.
 */
export async function glConnectQuickBooks(
  settings: { companyUrl: string; clientId: string; clientSecret: string },
  onurl: (url: string) => void,
): Promise<GlConnectionView> {
  const unlisten = await listen<string>('gl-sign-in-url', (event) => onurl(event.payload));
  try {
    return await call<GlConnectionView>('gl_connect_quickbooks', settings);
  } finally {
    unlisten();
  }
}

/**
 * Connects Business Central through the Entra ID sign-in in the system browser (no secret: the
 * app registration is a public client). Resolves when the browser has come back.
 */
export async function glConnectBusinessCentral(
  settings: { companyUrl: string; clientId: string },
  onurl: (url: string) => void,
): Promise<GlConnectionView> {
  const unlisten = await listen<string>('gl-sign-in-url', (event) => onurl(event.payload));
  try {
    return await call<GlConnectionView>('gl_connect_business_central', settings);
  } finally {
    unlisten();
  }
}

/** Where the cloud GL's rate limits stand; null for GLs without them. */
export function glRateLimits(): Promise<RateLimitView | null> {
  return call<RateLimitView | null>('gl_rate_limits');
}

export function exceptions(): Promise<ExceptionsReport> {
  return call<ExceptionsReport>('exceptions');
}

/** Who is working in the window, with their role. */
export function currentUser(): Promise<UserView> {
  return call<UserView>('current_user');
}

export function users(): Promise<UserView[]> {
  return call<UserView[]>('users');
}

/** Works as another user of the workspace (as the CLI's --as). */
export function switchUser(name: string): Promise<UserView> {
  return call<UserView>('switch_user', { name });
}

export function approvalStatus(id: string): Promise<ApprovalStatusView> {
  return call<ApprovalStatusView>('approval_status', { id });
}

/** Sends a journal back to its preparer; the comment says what to change. */
export function rejectDocument(id: string, comment: string): Promise<DecisionView> {
  return call<DecisionView>('reject_document', { id, comment });
}

export function submitDocument(id: string, comment: string): Promise<DecisionView> {
  return call<DecisionView>('submit_document', { id, comment });
}

export function rulesInUse(): Promise<RulePackInfo[]> {
  return call<RulePackInfo[]>('rules_in_use');
}

/** Runs the tests of the rule packs in a folder. */
export function rulesTest(dir: string): Promise<RulesTestReport> {
  return call<RulesTestReport>('rules_test', { dir });
}

/** The blast radius of the rule packs in a folder against those in use. */
export function rulesDiff(dir: string): Promise<RulesDiffReport> {
  return call<RulesDiffReport>('rules_diff', { dir });
}

/** Spend, accuracy per vendor, exceptions by age and the 13-week payables forecast. */
export function overview(): Promise<OverviewView> {
  return call<OverviewView>('overview');
}

/** Fetches the GL's master data for offline use. */
export function glPull(): Promise<PullReport> {
  return call<PullReport>('gl_pull');
}

/**
 * Forgets what the learned suggester learned from a vendor (its history lines are deleted, its
 * approved journals no longer learned from) and re-codes the open documents. Admins only.
 */
export function forgetVendor(vendor: string): Promise<ForgetVendorReport> {
  return call<ForgetVendorReport>('forget_vendor', { vendor });
}

/**
 * Imports a coding-history CSV as approved history; the open documents are re-coded with it. The
 * file is refused whole if a row cannot be read, unless `skipInvalid` (then those rows are skipped
 * and listed in the report).
 */
export function importHistory(path: string, skipInvalid = false): Promise<HistoryImportReport> {
  return call<HistoryImportReport>('import_history', skipInvalid ? { path, skipInvalid } : { path });
}

/** What the learned suggester knows, brought up to date first. */
export function learnedModel(): Promise<LearnedModelView> {
  return call<LearnedModelView>('learned_model');
}

/** Asks the person for one coding-history CSV with the system's file dialog; null when cancelled. */
export async function chooseHistoryFile(): Promise<string | null> {
  try {
    const chosen = await openDialog({
      title: 'Import coding history',
      multiple: false,
      directory: false,
      filters: [{ name: 'Coding history (CSV)', extensions: ['csv'] }],
    });
    return Array.isArray(chosen) ? (chosen[0] ?? null) : chosen;
  } catch (error) {
    throw toAppError(error) satisfies IpcError;
  }
}
