import { describe, expect, it } from 'vitest';
import type { LearnedModelView } from '../bindings/LearnedModelView';
import { correctionRequest, forgetConsequences, forgetSummary, historySummary, learnedFromLabel, refreshLabel, skippableRows } from './learning';

describe('correctionRequest', () => {
  const edits = [
    { key: 'account', typed: ' 4250 ', current: '4240' },
    { key: 'dimension:cost_centre', typed: 'CC-100', current: 'CC-100' },
    { key: 'tax_code', typed: '', current: 'DE19' },
  ];

  it('sends only the changed fields, learned from by default', () => {
    expect(correctionRequest('DOC-7', 2, edits, false)).toEqual({
      document_id: 'DOC-7',
      line: 2,
      account: '4250',
      dimensions: {},
      tax_code: null,
      learn: true,
    });
  });

  it('sends learn: false when the person ticked "Don\'t learn from this correction"', () => {
    const request = correctionRequest('DOC-7', 2, edits, true);
    expect(request?.learn).toBe(false);
    expect(request?.account).toBe('4250');
  });

  it('puts dimensions under their code and tax codes in their field', () => {
    const request = correctionRequest(
      'DOC-7',
      1,
      [
        { key: 'dimension:cost_centre', typed: 'CC-300', current: 'CC-100' },
        { key: 'dimension:project', typed: 'P-9', current: '' },
        { key: 'tax_code', typed: 'DE7', current: 'DE19' },
      ],
      true,
    );
    expect(request).toEqual({
      document_id: 'DOC-7',
      line: 1,
      account: null,
      dimensions: { cost_centre: 'CC-300', project: 'P-9' },
      tax_code: 'DE7',
      learn: false,
    });
  });

  it('sends nothing when nothing changed (an emptied field is left as it is)', () => {
    expect(correctionRequest('DOC-7', 1, [{ key: 'account', typed: '4240', current: '4240' }, { key: 'tax_code', typed: '  ', current: 'DE19' }], true)).toBeNull();
  });
});

describe('forgetting a vendor', () => {
  it('says what will happen before it is confirmed', () => {
    const text = forgetConsequences('Acme Supplies').join(' ');
    expect(text).toContain('history lines of Acme Supplies are deleted');
    expect(text).toContain('Approved journals of Acme Supplies are no longer learned from');
    expect(text).toContain('cannot be undone, except by importing');
  });

  it('says what it did, with the counts of the report', () => {
    expect(forgetSummary({ vendor: 'Acme Supplies', history_lines_deleted: 24, approved_lines_skipped: 1, documents_recoded: 3 })).toBe(
      'Forgot what Folio learned from Acme Supplies: 24 history lines deleted, 1 approved line no longer learned from, 3 open documents re-coded.',
    );
  });
});

describe('coding history and the model', () => {
  it('says what an import did and that the model learns it', () => {
    const text = historySummary({ file: 'history.csv', sha256: 'ab', rows: 1, skipped_rows: 0, skipped: [], model_lines: 49, model_version: 'learned-v3/49-lines', documents_recoded: 26 });
    expect(text).toBe('Imported 1 history line from history.csv. The learned model now learns from 49 lines (model learned-v3/49-lines); 26 open documents re-coded with it.');
    const skipped = historySummary({ file: 'export.csv', sha256: 'ab', rows: 2, skipped_rows: 3, skipped: [], model_lines: 50, model_version: 'learned-v3/50-lines', documents_recoded: 1 });
    expect(skipped).toContain('Imported 2 history lines from export.csv (skipped 3 rows that could not be read, listed below).');
  });

  it('offers to skip bad rows only when the file was refused for its rows', () => {
    const row = { severity: 'error' as const, code: 'HISTORY-ROW', field: 'row 2/account', message: "row 2: account '' is not an account code" };
    const refused = { code: 'INVALID_INPUT' as const, message: '/tmp/h.csv: 3 of 5 rows cannot be imported (the first: …); nothing was imported', problems: [row] };
    expect(skippableRows(refused)).toBe(3);
    expect(skippableRows({ ...refused, problems: [] })).toBe(0);
    expect(skippableRows({ code: 'INVALID_INPUT', message: '/tmp/h.csv: the CSV header has no `account` column; nothing was imported', problems: [] })).toBe(0);
    expect(skippableRows({ ...refused, code: 'NOT_PERMITTED' })).toBe(0);
  });

  const model: LearnedModelView = {
    version: 'learned-v3/48-lines',
    lines_learned: 48,
    history_lines: 48,
    approved_journals: 0,
    not_learned_lines: 0,
    forgotten_vendors: [],
    refresh: 'cached',
    refresh_reason: null,
    last_full_train: null,
    full_trains: 1,
    incremental_updates: 0,
  };

  it('says whether the model was trained, updated or kept', () => {
    expect(refreshLabel(model)).toMatch(/^Up to date: nothing it learns from changed since it was last trained or updated\.$/);
    expect(refreshLabel({ ...model, last_full_train: 'the imported history changed' })).toMatch(/It was last trained in full because the imported history changed\.$/);
    expect(refreshLabel({ ...model, refresh: 'updated' })).toBe('Updated just now with the newly approved journals.');
    expect(refreshLabel({ ...model, refresh: 'trained', refresh_reason: 'a vendor was forgotten' })).toBe('Trained just now: a vendor was forgotten.');
  });

  it('says what the model learns from and what it leaves out', () => {
    expect(learnedFromLabel(model)).toBe('48 history lines and the lines of 0 approved journals');
    expect(
      learnedFromLabel({
        ...model,
        approved_journals: 1,
        not_learned_lines: 1,
        forgotten_vendors: [{ name: 'Acme', forgotten_at: '2026-01-02T10:00:00Z', forgotten_by: 'ana' }],
      }),
    ).toBe('48 history lines and the lines of 1 approved journal; not learned from: 1 line marked “don’t learn from this”, the lines of the forgotten vendors');
  });
});
