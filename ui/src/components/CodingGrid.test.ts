/**
 * The coding grid rendered (server-side, as HTML) from an explanation like the one folio-app
 * returns: each value's confidence shows as its colour band, a person's value keeps the
 * suggestion it replaced beside it, names come from the master data, every dimension of the
 * workspace gets a column, and editing turns the fields into inputs with autocomplete lists.
 */
import { render } from 'svelte/server';
import { describe, expect, it } from 'vitest';
import type { CodingChoices, ExplainView } from '../ipc';
import CodingGrid from './CodingGrid.svelte';

const choices: CodingChoices = {
  accounts: [
    { code: '4210', name: 'Rent' },
    { code: '4240', name: 'Utilities' },
  ],
  dimensions: [
    { code: 'cost_centre', name: 'Cost centre', required: true, values: [{ code: 'CC-100', name: 'Administration' }] },
  ],
  tax_codes: [{ code: 'DE19', name: 'Germany 19 %' }],
};

const explanation: ExplainView = {
  document_id: 'DOC-7',
  number: 'RW-1',
  supplier_name: 'Rheinwerk',
  rule_packs: [],
  model_version: null,
  problems: [],
  lines: [
    {
      line: 1,
      description: 'Office rent',
      amount: '1000.5',
      fields: [
        {
          field: 'account',
          value: '4240',
          source: 'person',
          confidence: '1',
          proposals: [
            { source: 'person', value: '4240', confidence: '1', explanation: { kind: 'person', by: 'ana', at: '2026-01-02T10:00:00Z', learn: true }, created_at: '', created_by: 'ana' },
            {
              source: 'rule',
              value: '4210',
              confidence: '0.95',
              explanation: { kind: 'rule', rule: { pack: 'default', pack_version: '1', rule: 'rent', description: 'Rent by supplier', stage: 'default', priority: 10 } },
              created_at: '',
              created_by: 'folio',
            },
          ],
        },
        {
          field: 'dimension:cost_centre',
          value: 'CC-100',
          source: 'model',
          confidence: '0.612',
          proposals: [
            {
              source: 'model',
              value: 'CC-100',
              confidence: '0.612',
              explanation: { kind: 'model', model_version: 'm1', features: [{ feature: 'supplier=rheinwerk', weight: '2.10' }], similar: [], alternatives: [{ value: 'CC-200', confidence: '0.2' }] },
              created_at: '',
              created_by: 'folio',
            },
          ],
        },
        {
          field: 'tax_code',
          value: 'DE19',
          source: 'rule',
          confidence: '0.85',
          proposals: [],
        },
      ],
    },
  ],
};

function html(editing: boolean, view: ExplainView = explanation, onforget?: (vendor: string) => void): string {
  return render(CodingGrid, {
    props: { explanation: view, choices, currency: 'EUR', editing, readonly: false, onsave: () => undefined, onforget },
  }).body;
}

/** The explanation with the person's account marked "don't learn from this". */
function notLearned(): ExplainView {
  const view = structuredClone(explanation);
  const first = view.lines[0]!.fields[0]!.proposals[0]!;
  first.explanation = { kind: 'person', by: 'ana', at: '2026-01-02T10:00:00Z', learn: false };
  return view;
}

describe('CodingGrid', () => {
  it('shows confidence as colour bands and names from the master data', () => {
    const out = html(false);
    expect(out).toMatch(/class="value conf-high"[^>]*data-source="person"/);
    expect(out).toMatch(/class="value conf-low"[^>]*data-source="model"[^>]*data-confidence="0.612"/);
    expect(out).toMatch(/class="value conf-medium"[^>]*data-source="rule"/);
    expect(out).toContain('Utilities');
    expect(out).toContain('Administration');
    // The amount stays exact: 1000.5 is shown with its minor units, not through a float.
    expect(out).toContain('1,000.50');
    // One column per field, dimensions included, and the split.
    for (const header of ['Account', 'Cost centre', 'Tax code', 'Split']) expect(out).toContain(`>${header}</th>`);
  });

  it("keeps the replaced suggestion visible beside a person's value", () => {
    const out = html(false);
    expect(out).toMatch(/data-testid="original-suggestion"[^>]*>was <span class="mono">4210<\/span> \(rule 95%\)/);
    // Only the corrected field carries one.
    expect(out.match(/data-testid="original-suggestion"/g)?.length).toBe(1);
  });

  it('offers every field as an input with autocomplete while editing', () => {
    const out = html(true);
    expect(out.match(/data-testid="code-input"/g)?.length).toBe(3);
    expect(out).toContain('list="choices-account"');
    expect(out).toContain('list="choices-dimension:cost_centre"');
    expect(out).toMatch(/<datalist id="choices-account">[\s\S]*value="4210"[\s\S]*value="4240"[\s\S]*<\/datalist>/);
    expect(out).toContain('suggested 4210');
    expect(out).toContain('data-testid="save-line"');
    expect(out).not.toContain('data-testid="why-button"');
  });

  it('offers "Don\'t learn from this correction" per line while editing, off by default', () => {
    const out = html(true);
    expect(out.match(/data-testid="no-learn"/g)?.length).toBe(1);
    expect(out).toContain("Don't learn from this correction");
    expect(out).not.toMatch(/data-testid="no-learn"[^>]*checked/);
    expect(out).not.toMatch(/checked[^>]*data-testid="no-learn"/);
  });

  it("puts each line's Save and \"Don't learn\" in a row under its editors, after them in tab order", () => {
    const out = html(true);
    // No column of their own: the header has #, line, net and one column per field only.
    expect(out.match(/<th scope="col"/g)?.length).toBe(3 + 4);
    const line = out.match(/<tbody[^>]*data-testid="coding-line"[^>]*>([\s\S]*?)<\/tbody>/)?.[1] ?? '';
    const rows = line.match(/<tr[\s>][\s\S]*?<\/tr>/g) ?? [];
    expect(rows.length).toBe(2);
    expect(rows[0]).not.toContain('data-testid="save-line"');
    // The controls span the field columns, under the editors.
    expect(rows[1]).toMatch(/class="save-cell" colspan="4"/);
    const order = [...line.matchAll(/data-testid="(code-input|save-line|no-learn)"/g)].map((m) => m[1]);
    expect(order).toEqual(['code-input', 'code-input', 'code-input', 'save-line', 'no-learn']);
    // Not editing: one row per line.
    const viewed = html(false).match(/<tbody[^>]*data-testid="coding-line"[^>]*>([\s\S]*?)<\/tbody>/)?.[1] ?? '';
    expect(viewed.match(/<tr[\s>]/g)?.length).toBe(1);
  });

  it("marks a person's value that is not learned from", () => {
    expect(html(false)).not.toContain('data-testid="not-learned"');
    expect(html(false, notLearned())).toMatch(/data-testid="not-learned">not learned from</);
  });
});

