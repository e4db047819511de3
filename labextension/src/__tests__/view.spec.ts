import { rowsOf } from '../model';
import { parseDesign } from '../protocol';
import { renderComparison, renderEmpty, renderTable } from '../view';
import { designData } from './fixtures';

const EVIL = '<img src=x onerror="window.__pwned=1">';

function handlers() {
  return { sort: jest.fn(), toggle: jest.fn(), open: jest.fn(), export: jest.fn() };
}

describe('renderTable', () => {
  it('renders names and texts from the kernel as text, never HTML', () => {
    const d = parseDesign(
      designData(EVIL, { device: '<b>xcvu9p</b>', precision: '<script>alert(1)</script>', error: '<i>oops</i>', source: EVIL })
    );
    const table = renderTable(rowsOf([d]), null, new Set(), handlers());
    document.body.appendChild(table);
    expect(table.querySelectorAll('img, b, script, i').length).toBe(0);
    expect(table.querySelector('.fpgalab-name')!.textContent).toBe(EVIL);
    expect(table.querySelector('td[data-col="device"]')!.textContent).toBe('<b>xcvu9p</b>');
    expect(table.textContent).toContain('<i>oops</i>');
    expect((table.querySelector('tr.fpgalab-row') as HTMLElement).dataset.design).toBe(EVIL);
    expect((window as any).__pwned).toBeUndefined();
    table.remove();
  });

  it('shows the figures, bars and sort state, and calls back', () => {
    const d = parseDesign(designData('mlp', { utilization: { lut: 0.25, ff: 0.1, dsp: 1.5, bram: 0.85, uram: 0 } }));
    const h = handlers();
    const table = renderTable(rowsOf([d]), { column: 'cycles', ascending: false }, new Set(['mlp']), h);
    document.body.appendChild(table);
    const cell = (col: string) => table.querySelector(`tbody td[data-col="${col}"]`)!;
    expect(cell('cycles').textContent).toBe('120');
    expect(cell('lut').textContent).toBe('25%');
    expect((cell('lut').querySelector('.fpgalab-bar-fill') as HTMLElement).style.width).toBe('25.0%');
    expect(cell('dsp').querySelector('.fpgalab-over')).not.toBeNull();
    expect(cell('bram').querySelector('.fpgalab-high')).not.toBeNull();
    expect(table.querySelector('th[data-col="cycles"]')!.getAttribute('aria-sort')).toBe('descending');
    expect(table.querySelector('tr.fpgalab-selected')).not.toBeNull();
    (table.querySelector('th[data-col="lut"] button') as HTMLButtonElement).click();
    expect(h.sort).toHaveBeenCalledWith('lut');
    (table.querySelector('.fpgalab-name') as HTMLButtonElement).click();
    expect(h.open).toHaveBeenCalledWith('mlp');
    (table.querySelector('.fpgalab-export') as HTMLButtonElement).click();
    expect(h.export).toHaveBeenCalledWith('mlp');
    const box = table.querySelector('input[type=checkbox]') as HTMLInputElement;
    box.click();
    expect(h.toggle).toHaveBeenCalledWith('mlp');
    table.remove();
  });
});

describe('build warnings', () => {
  it('shows the first limit a design would hit, as text', () => {
    const warnings = [
      'will not build (sure): layer wide: its mult array is 32,768, above the partition limit of 4,096',
      `will not build (likely): layer ${EVIL}`,
      'the design needs 316% of xcvu9p DSP'
    ];
    const table = renderTable(rowsOf([parseDesign(designData('wide', { warnings }))]), null, new Set(), handlers());
    const note = table.querySelector('tr.fpgalab-row-build')!;
    expect(note.textContent).toBe(`wide: ${warnings[0]} (and 1 more)`);
    expect(table.querySelectorAll('img').length).toBe(0);
    const plain = renderTable(rowsOf([parseDesign(designData('mlp', { warnings: [warnings[2]] }))]), null, new Set(), handlers());
    expect(plain.querySelector('tr.fpgalab-row-build')).toBeNull();
  });
});

describe('renderComparison and renderEmpty', () => {
  it('renders a comparison as text', () => {
    const a = parseDesign(designData(EVIL));
    const b = parseDesign(designData('b', { cycles: 60 }));
    const close = jest.fn();
    const node = renderComparison(a, b, close);
    expect(node.querySelectorAll('img').length).toBe(0);
    expect(node.querySelector('.fpgalab-diff-a')!.textContent).toBe(EVIL);
    const latency = node.querySelector('tr[data-field="Latency (cycles)"]')!;
    expect(latency.classList.contains('fpgalab-differs')).toBe(true);
    expect(latency.querySelector('.fpgalab-better')!.textContent).toBe('-50%');
    (node.querySelector('.fpgalab-compare-close') as HTMLButtonElement).click();
    expect(close).toHaveBeenCalled();
  });

  it('says how to start when fpgalab is not loaded', () => {
    const retry = jest.fn();
    const node = renderEmpty('not-loaded', retry);
    expect(node.textContent).toContain('%load_ext fpgalab');
    (node.querySelector('.fpgalab-retry') as HTMLButtonElement).click();
    expect(retry).toHaveBeenCalled();
    expect(renderEmpty('connected', null).querySelector('.fpgalab-retry')).toBeNull();
  });
});
