/**
 * The desktop's learning controls, as plain functions: the request a person's correction sends
 * (with "don't learn from this"), what forgetting a vendor will do (said before it is confirmed)
 * and did, what a coding-history import did, and how the learned model stands. The rules are the
 * app's (`Workspace::code_line`, `forget_vendor`, `import_history`, `learned_model`); this only
 * builds the request and the sentences, so that nobody has to guess what a click does to what
 * Folio learns.
 */
import type { CodeLineRequest } from '../bindings/CodeLineRequest';
import type { ForgetVendorReport } from '../bindings/ForgetVendorReport';
import type { HistoryImportReport } from '../bindings/HistoryImportReport';
import type { LearnedModelView } from '../bindings/LearnedModelView';
import type { IpcError } from '../ipc/errors';

/** One field of a line being corrected: its key (`account`, `dimension:CODE`, `tax_code`), what the person typed, and the value used now. */
export interface FieldEdit {
  key: string;
  typed: string;
  current: string;
}

/**
 * The request a correction of one line sends: only the fields the person changed (an emptied
 * field is left as it is), learned from unless they ticked "don't learn from this"; `null` when
 * nothing changed.
 */
export function correctionRequest(documentId: string, line: number, edits: FieldEdit[], dontLearn: boolean): CodeLineRequest | null {
  const request: CodeLineRequest = { document_id: documentId, line, account: null, dimensions: {}, tax_code: null, learn: !dontLearn };
  let changed = false;
  for (const edit of edits) {
    const value = edit.typed.trim();
    if (!value || value === edit.current) continue;
    changed = true;
    if (edit.key === 'account') request.account = value;
    else if (edit.key === 'tax_code') request.tax_code = value;
    else if (edit.key.startsWith('dimension:')) request.dimensions[edit.key.slice('dimension:'.length)] = value;
  }
  return changed ? request : null;
}

/** What forgetting a vendor will do, said before the person confirms it. */
export function forgetConsequences(vendor: string): string[] {
  return [
    `The coding history lines of ${vendor} are deleted from this workspace.`,
    `Approved journals of ${vendor} are no longer learned from (they stay approved and posted as they are).`,
    'The learned model is trained again without them, and the open documents are re-coded.',
    `This cannot be undone, except by importing ${vendor}'s coding history again.`,
  ];
}

function lines(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/** What forgetting a vendor did. */
export function forgetSummary(report: ForgetVendorReport): string {
  return (
    `Forgot what Folio learned from ${report.vendor}: ${lines(report.history_lines_deleted, 'history line')} deleted, ` +
    `${lines(report.approved_lines_skipped, 'approved line')} no longer learned from, ` +
    `${lines(report.documents_recoded, 'open document')} re-coded.`
  );
}

/** What a coding-history import did, and that the model learns it. */
export function historySummary(report: HistoryImportReport): string {
  const skipped = report.skipped_rows > 0 ? ` (skipped ${lines(report.skipped_rows, 'row')} that could not be read, listed below)` : '';
  return (
    `Imported ${lines(report.rows, 'history line')} from ${report.file}${skipped}. ` +
    `The learned model now learns from ${lines(report.model_lines, 'line')} (model ${report.model_version}); ` +
    `${lines(report.documents_recoded, 'open document')} re-coded with it.`
  );
}

/**
 * How many rows of a refused history file could not be read, when the others could be imported
 * by skipping them (the app lists each bad row as a `HISTORY-ROW` problem); 0 when skipping would
 * not help (not a history CSV at all, the same file twice, not permitted).
 */
export function skippableRows(error: IpcError): number {
  if (error.code !== 'INVALID_INPUT') return 0;
  const match = /(\d+) of \d+ rows cannot be imported/.exec(error.message);
  return match && error.problems.some((p) => p.code === 'HISTORY-ROW') ? Number(match[1]) : 0;
}

/** What the learned model learns from, and what it leaves out. */
export function learnedFromLabel(model: LearnedModelView): string {
  const from = `${lines(model.history_lines, 'history line')} and the lines of ${model.approved_journals} approved journal${model.approved_journals === 1 ? '' : 's'}`;
  const left: string[] = [];
  if (model.not_learned_lines > 0) left.push(`${lines(model.not_learned_lines, 'line')} marked “don’t learn from this”`);
  if (model.forgotten_vendors.length > 0) left.push('the lines of the forgotten vendors');
  return left.length === 0 ? from : `${from}; not learned from: ${left.join(', ')}`;
}

/** How the learned model was brought up to date when it was last asked, and why it was last trained in full. */
export function refreshLabel(model: LearnedModelView): string {
  const last = model.last_full_train ? ` It was last trained in full because ${model.last_full_train}.` : '';
  switch (model.refresh) {
    case 'trained':
      return `Trained just now${model.refresh_reason ? `: ${model.refresh_reason}` : ''}.`;
    case 'updated':
      return `Updated just now with the newly approved journals.${last}`;
    default:
      return `Up to date: nothing it learns from changed since it was last trained or updated.${last}`;
  }
}
