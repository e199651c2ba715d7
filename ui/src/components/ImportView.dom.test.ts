/**
 * The Import screen's file dialog, wired end to end in a DOM with the IPC mocked at its boundary
 * (Tauri's own `mockIPC`, under which both Folio's commands and the dialog plugin's
 * `plugin:dialog|open` pass): "Choose files…" opens the system dialog for several invoice files,
 * the chosen paths go to `import_paths`, and the result list shows what happened to each;
 * "Choose folders…" asks for folders; cancelling imports nothing; a failing dialog shows its
 * error. (The real-window e2e test cannot click a GTK dialog: WebDriver drives the webview only.)
 */
import { clearMocks, mockIPC, mockWindows } from '@tauri-apps/api/mocks';
import { flushSync, mount, tick, unmount } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ImportRun } from '../ipc';
import ImportView from './ImportView.svelte';

/** What the Rust side (and the dialog plugin) answer, per command; events are Tauri's mocks. */
const invoke = vi.fn();

const run: ImportRun = {
  outcomes: [
    {
      path: '/home/ana/in/a.xml',
      status: 'imported',
      document_id: 'DOC-41',
      number: 'A-1',
      supplier_name: 'Acme',
      payable_amount: '1234.50',
      currency: 'EUR',
      reason: null,
      problems: [],
    } as unknown as ImportRun['outcomes'][number],
    {
      path: '/home/ana/in/b.pdf',
      status: 'rejected',
      document_id: null,
      number: null,
      supplier_name: null,
      payable_amount: null,
      currency: null,
      reason: 'the PDF has no embedded invoice and no readable text',
      problems: [],
    } as unknown as ImportRun['outcomes'][number],
  ],
  summary: { imported: 1, already_imported: 0, duplicate: 0, rejected: 1, skipped: 0 } as ImportRun['summary'],
};

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await tick();
    await new Promise((r) => setTimeout(r, 0));
  }
  flushSync();
}

let target: HTMLElement;
let component: ReturnType<typeof mount> | undefined;
let imported = 0;

beforeEach(() => {
  invoke.mockReset();
  mockWindows('main');
  mockIPC((cmd, args) => invoke(cmd, args), { shouldMockEvents: true });
  imported = 0;
  target = document.createElement('div');
  document.body.append(target);
  component = mount(ImportView, { target, props: { onimported: () => imported++ } });
});

afterEach(() => {
  if (component) unmount(component);
  target.remove();
  clearMocks();
});

const button = (testid: string) => target.querySelector(`[data-testid="${testid}"]`) as HTMLButtonElement;

describe('Import screen: the file dialog', () => {
  it('imports the files chosen in the dialog and lists what happened to each', async () => {
    invoke.mockImplementation(async (cmd: string) => {
      if (cmd === 'plugin:dialog|open') return ['/home/ana/in/a.xml', '/home/ana/in/b.pdf'];
      if (cmd === 'import_paths') return run;
      throw new Error(`unexpected command ${cmd}`);
    });
    button('import-choose-files').click();
    await settle();

    const [dialogCall, importCall] = invoke.mock.calls;
    expect(dialogCall?.[0]).toBe('plugin:dialog|open');
    expect(dialogCall?.[1]).toMatchObject({
      options: { multiple: true, directory: false, filters: [{ name: 'Invoices', extensions: ['xml', 'pdf', 'csv', 'xlsx'] }] },
    });
    expect(importCall).toEqual(['import_paths', { paths: ['/home/ana/in/a.xml', '/home/ana/in/b.pdf'] }]);
    const rows = [...target.querySelectorAll('[data-testid="import-outcome"]')];
    expect(rows.map((r) => r.getAttribute('data-status'))).toEqual(['imported', 'rejected']);
    expect(rows[1]?.textContent).toContain('no embedded invoice');
    expect(target.querySelector('[data-testid="import-summary"]')?.textContent).toContain('1 imported');
    expect(imported).toBe(1);
  });

  it('asks for folders with the folder button', async () => {
    invoke.mockImplementation(async (cmd: string) => {
      if (cmd === 'plugin:dialog|open') return ['/home/ana/inbox', '/home/ana/scans'];
      if (cmd === 'import_paths') return { ...run, outcomes: [] };
      throw new Error(`unexpected command ${cmd}`);
    });
    button('import-choose-folders').click();
    await settle();
    expect(invoke.mock.calls[0]?.[1]).toMatchObject({ options: { multiple: true, directory: true } });
    expect(invoke.mock.calls[1]).toEqual(['import_paths', { paths: ['/home/ana/inbox', '/home/ana/scans'] }]);
  });

  it('imports nothing when the dialog is cancelled', async () => {
    invoke.mockImplementation(async (cmd: string) => {
      if (cmd === 'plugin:dialog|open') return null;
      throw new Error(`unexpected command ${cmd}`);
    });
    button('import-choose-files').click();
    await settle();
    expect(invoke.mock.calls.map((c) => c[0])).toEqual(['plugin:dialog|open']);
    expect(target.querySelector('[data-testid="import-results"]')).toBeNull();
    expect(imported).toBe(0);
  });

  it('shows a dialog that failed as an error, not as an import', async () => {
    invoke.mockImplementation(async () => {
      throw 'dialog unavailable';
    });
    button('import-choose-files').click();
    await settle();
    expect(target.textContent).toContain('dialog unavailable');
    expect(invoke.mock.calls.map((c) => c[0])).toEqual(['plugin:dialog|open']);
  });
});
