/**
 * The desktop's learning controls mounted in a DOM, with the IPC mocked at its boundary (Tauri's
 * own `mockIPC`, under which Folio's commands and the dialog plugin's `plugin:dialog|open` pass):
 * a correction saved with "Don't learn from this correction" ticked sends `learn: false` (and
 * `learn: true` when it is not); forgetting a vendor says what will happen, sends nothing until
 * confirmed, and shows the app's refusal as its error; the Rules screen's learned model shows
 * what the model knows and imports a coding-history CSV chosen in the dialog.
 */
import { clearMocks, mockIPC, mockWindows } from '@tauri-apps/api/mocks';
import { flushSync, mount, tick, unmount } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CodeLineRequest, CodingChoices, ExplainView, ForgetVendorReport, LearnedModelView } from '../ipc';
import CodingGrid from './CodingGrid.svelte';
import ForgetVendorDialog from './ForgetVendorDialog.svelte';
import LearnedModel from './LearnedModel.svelte';

const invoke = vi.fn();

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await tick();
    await new Promise((r) => setTimeout(r, 0));
  }
  flushSync();
}

let target: HTMLElement;
let component: ReturnType<typeof mount> | undefined;

beforeEach(() => {
  invoke.mockReset();
  mockWindows('main');
  mockIPC((cmd, args) => invoke(cmd, args), { shouldMockEvents: true });
  target = document.createElement('div');
  document.body.append(target);
});

afterEach(() => {
  if (component) unmount(component);
  component = undefined;
  target.remove();
  clearMocks();
});

const el = <T extends HTMLElement>(testid: string) => target.querySelector(`[data-testid="${testid}"]`) as T;

const choices: CodingChoices = {
  accounts: [
    { code: '4240', name: 'Utilities' },
    { code: '4250', name: 'Cleaning' },
  ],
  // (No dimension: happy-dom cannot resolve `list="choices-dimension:…"`, an id with a colon.)
  dimensions: [],
  tax_codes: [{ code: 'DE19', name: 'Germany 19 %' }],
};

const explanation: ExplainView = {
  document_id: 'DOC-7',
  number: 'RW-1',
  supplier_name: 'Rheinwerk',
  rule_packs: [],
  model_version: 'm1',
  problems: [],
  lines: [
    {
      line: 1,
      description: 'Office cleaning',
      amount: '100',
      fields: [
        {
          field: 'account',
          value: '4240',
          source: 'model',
          confidence: '0.7',
          proposals: [
            {
              source: 'model',
              value: '4240',
              confidence: '0.7',
              explanation: { kind: 'model', model_version: 'm1', features: [], similar: [], alternatives: [] },
              created_at: '',
              created_by: 'folio',
            },
          ],
        },
      ],
    },
  ],
};

describe('Coding grid: a correction and what it sends', () => {
  function grid(saved: CodeLineRequest[], forgotten: string[] = []): void {
    component = mount(CodingGrid, {
      target,
      props: {
        explanation,
        choices,
        currency: 'EUR',
        editing: true,
        readonly: false,
        onsave: (r: CodeLineRequest) => saved.push(r),
        onforget: (v: string) => forgotten.push(v),
      },
    });
    flushSync();
  }

  function type(value: string): void {
    const input = target.querySelector('[data-field="account"] [data-testid="code-input"]') as HTMLInputElement;
    input.value = value;
    input.dispatchEvent(new Event('input', { bubbles: true }));
    flushSync();
  }

  it('sends learn: false when "Don\'t learn from this correction" is ticked', () => {
    const saved: CodeLineRequest[] = [];
    grid(saved);
    type('4250');
    const box = el<HTMLInputElement>('no-learn');
    expect(box.checked).toBe(false);
    box.click();
    flushSync();
    el<HTMLButtonElement>('save-line').click();
    expect(saved).toEqual([{ document_id: 'DOC-7', line: 1, account: '4250', dimensions: {}, tax_code: null, learn: false }]);
  });

  it('sends learn: true when it is not ticked', () => {
    const saved: CodeLineRequest[] = [];
    grid(saved);
    type('4250');
    el<HTMLButtonElement>('save-line').click();
    expect(saved.map((r) => r.learn)).toEqual([true]);
  });
});

describe('Coding grid: forgetting from the explanation of a learned suggestion', () => {
  it("offers to forget the document's vendor from the model's explanation", () => {
    const forgotten: string[] = [];
    component = mount(CodingGrid, {
      target,
      props: { explanation, choices, currency: 'EUR', editing: false, readonly: false, onsave: () => undefined, onforget: (v: string) => forgotten.push(v) },
    });
    flushSync();
    (target.querySelector('[data-field="account"] [data-testid="why-button"]') as HTMLButtonElement).click();
    flushSync();
    const forget = el<HTMLButtonElement>('why-forget-vendor');
    expect(forget.textContent).toContain('Forget what Folio learned from Rheinwerk');
    forget.click();
    expect(forgotten).toEqual(['Rheinwerk']);
  });
});

describe('Forget a vendor', () => {
  const report: ForgetVendorReport = { vendor: 'Rheinwerk GmbH', history_lines_deleted: 12, approved_lines_skipped: 2, documents_recoded: 5 };

  function dialog(done: ForgetVendorReport[], closed: number[]): void {
    component = mount(ForgetVendorDialog, {
      target,
      props: { vendor: 'Rheinwerk', onclose: () => closed.push(1), onforgotten: (r: ForgetVendorReport) => done.push(r) },
    });
    flushSync();
  }

  it('says what will happen, and forgets only when confirmed', async () => {
    invoke.mockImplementation(async (cmd: string) => {
      if (cmd === 'forget_vendor') return report;
      throw new Error(`unexpected command ${cmd}`);
    });
    const done: ForgetVendorReport[] = [];
    dialog(done, []);
    const text = el('forget-vendor-dialog').textContent ?? '';
    expect(text).toContain('history lines of Rheinwerk are deleted');
    expect(text).toContain('no longer learned from');
    expect(text).toContain('cannot be undone, except by importing');
    expect(invoke).not.toHaveBeenCalled();
    el<HTMLButtonElement>('forget-confirm').click();
    await settle();
    expect(invoke.mock.calls).toEqual([['forget_vendor', { vendor: 'Rheinwerk' }]]);
    expect(done).toEqual([report]);
  });

  it('sends nothing when cancelled', () => {
    const closed: number[] = [];
    dialog([], closed);
    el<HTMLButtonElement>('forget-cancel').click();
    expect(closed).toEqual([1]);
    expect(invoke).not.toHaveBeenCalled();
  });

  it("shows the app's refusal with its code and problems", async () => {
    invoke.mockImplementation(async () => {
      throw {
        code: 'NOT_PERMITTED',
        message: 'refused by rule ROLE-RULES: changing rule packs and learned coding needs the role admin; controller has the role controller',
        problems: [{ severity: 'error', code: 'ROLE-RULES', field: 'actor', message: 'needs the role admin' }],
      };
    });
    const done: ForgetVendorReport[] = [];
    dialog(done, []);
    el<HTMLButtonElement>('forget-confirm').click();
    await settle();
    const alert = target.querySelector('.error-box')?.textContent ?? '';
    expect(alert).toContain('Nothing was forgotten');
    expect(alert).toContain('NOT_PERMITTED');
    expect(alert).toContain('ROLE-RULES');
    expect(done).toEqual([]);
  });
});

describe('Rules screen: the learned model and coding history', () => {
  /** Mounts the learned model and imports the CSV at `path` through the path field. */
  async function importByPath(path: string): Promise<void> {
    component = mount(LearnedModel, { target, props: {} });
    await settle();
    const input = el<HTMLInputElement>('history-path');
    input.value = path;
    input.dispatchEvent(new Event('input', { bubbles: true }));
    flushSync();
    el<HTMLButtonElement>('history-import').click();
    await settle();
  }

  const model: LearnedModelView = {
    version: 'learned-v3/48-lines',
    lines_learned: 48,
    history_lines: 48,
    approved_journals: 0,
    not_learned_lines: 0,
    forgotten_vendors: [{ name: 'Sakura Seimitsu K.K.', forgotten_at: '2026-01-02T10:00:00Z', forgotten_by: 'ana' }],
    refresh: 'cached',
    refresh_reason: null,
    last_full_train: 'no model trained yet',
    full_trains: 1,
    incremental_updates: 0,
  };

  it('shows what the model knows, then imports the CSV chosen in the dialog and shows the model again', async () => {
    let models = 0;
    invoke.mockImplementation(async (cmd: string) => {
      if (cmd === 'learned_model') return models++ === 0 ? model : { ...model, version: 'learned-v3/58-lines', lines_learned: 58, history_lines: 58, refresh: 'trained', refresh_reason: 'the imported history changed' };
      if (cmd === 'plugin:dialog|open') return '/home/ana/history.csv';
      if (cmd === 'import_history') return { file: 'history.csv', sha256: 'ab', rows: 10, skipped_rows: 0, skipped: [], model_lines: 58, model_version: 'learned-v3/58-lines', documents_recoded: 3 };
      throw new Error(`unexpected command ${cmd}`);
    });
    let imported = 0;
    component = mount(LearnedModel, { target, props: { onimported: () => imported++ } });
    await settle();
    expect(el('model-version').textContent).toBe('learned-v3/48-lines');
    expect(el('model-lines').textContent).toBe('48');
    expect(el('forgotten-vendors').textContent).toContain('Sakura Seimitsu K.K.');

    el<HTMLButtonElement>('history-choose').click();
    await settle();
    const calls = invoke.mock.calls.map((c) => c[0]);
    expect(calls).toEqual(['learned_model', 'plugin:dialog|open', 'import_history', 'learned_model']);
    expect(invoke.mock.calls[1]?.[1]).toMatchObject({ options: { multiple: false, directory: false, filters: [{ name: 'Coding history (CSV)', extensions: ['csv'] }] } });
    expect(invoke.mock.calls[2]?.[1]).toEqual({ path: '/home/ana/history.csv' });
    expect(el('history-report').textContent).toContain('Imported 10 history lines from history.csv');
    expect(el('model-lines').textContent).toBe('58');
    expect(el('model-refresh').textContent).toContain('Trained just now: the imported history changed');
    expect(imported).toBe(1);
  });

  it('imports nothing when the dialog is cancelled', async () => {
    invoke.mockImplementation(async (cmd: string) => {
      if (cmd === 'learned_model') return model;
      if (cmd === 'plugin:dialog|open') return null;
      throw new Error(`unexpected command ${cmd}`);
    });
    component = mount(LearnedModel, { target, props: {} });
    await settle();
    el<HTMLButtonElement>('history-choose').click();
    await settle();
    expect(invoke.mock.calls.map((c) => c[0])).toEqual(['learned_model', 'plugin:dialog|open']);
    expect(el('history-report')).toBeNull();
  });

  it('shows a rejected file with its row, and that nothing was imported', async () => {
    invoke.mockImplementation(async (cmd: string) => {
      if (cmd === 'learned_model') return model;
      if (cmd === 'import_history')
        throw { code: 'INVALID_INPUT', message: "/tmp/h.csv: row 2: account '' is not an account code; nothing was imported", problems: [] };
      throw new Error(`unexpected command ${cmd}`);
    });
    await importByPath('/tmp/h.csv');
    expect(invoke.mock.calls[1]).toEqual(['import_history', { path: '/tmp/h.csv' }]);
    const alert = target.querySelector('.error-box')?.textContent ?? '';
    expect(alert).toContain('Nothing was imported');
    expect(alert).toContain('row 2');
    expect(el('history-report')).toBeNull();
    expect(el('history-skip-invalid')).toBeNull();
  });

  it('lists every bad row of a refused file, then imports the other rows when asked to skip them', async () => {
    const row = (n: number, column: string, message: string) => ({ severity: 'error', code: 'HISTORY-ROW', field: `row ${n}/${column}`, message });
    const problems = [row(2, 'account', "row 2: account '' is not an account code"), row(4, 'date', "row 4: date 'soon' is not a date (YYYY-MM-DD or DD/MM/YYYY)")];
    invoke.mockImplementation(async (cmd: string, args?: Record<string, unknown>) => {
      if (cmd === 'learned_model') return model;
      if (cmd === 'import_history' && !args?.skipInvalid)
        throw { code: 'INVALID_INPUT', message: "/tmp/h.csv: 2 of 5 rows cannot be imported (the first: row 2: account '' is not an account code). Fix them, or import the other 3 rows and skip these (`--skip-invalid`); nothing was imported", problems };
      if (cmd === 'import_history')
        return { file: 'h.csv', sha256: 'ab', rows: 3, skipped_rows: 2, skipped: problems, model_lines: 51, model_version: 'learned-v3/51-lines', documents_recoded: 2 };
      throw new Error(`unexpected command ${cmd}`);
    });
    await importByPath('/tmp/h.csv');
    const alert = target.querySelector('.error-box')?.textContent ?? '';
    expect(alert).toContain("row 2: account '' is not an account code");
    expect(alert).toContain("row 4: date 'soon'");
    expect(el('history-skip-invalid').textContent).toContain('skip these 2');
    el<HTMLButtonElement>('history-skip-invalid').click();
    await settle();
    const imports = invoke.mock.calls.filter((c) => c[0] === 'import_history').map((c) => c[1]);
    expect(imports).toEqual([{ path: '/tmp/h.csv' }, { path: '/tmp/h.csv', skipInvalid: true }]);
    expect(el('history-report').textContent).toContain('Imported 3 history lines from h.csv (skipped 2 rows that could not be read, listed below)');
    expect(el('history-skipped').textContent).toContain("row 4: date 'soon'");
    expect(target.querySelector('.error-box')).toBeNull();
  });
});
