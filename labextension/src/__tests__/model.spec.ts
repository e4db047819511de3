import {
  cellText,
  compareDesigns,
  formatNumber,
  formatPercent,
  formatTime,
  nextSort,
  rowsOf,
  sortRows
} from '../model';
import { IDesign, parseDesign } from '../protocol';
import { designData } from './fixtures';

const design = (name: string, overrides: Record<string, unknown> = {}): IDesign =>
  parseDesign(designData(name, overrides));

describe('sorting', () => {
  const designs = [
    design('b_mid', { cycles: 200, utilization: { lut: 0.5, ff: 0.1, dsp: 0.2, bram: 0, uram: 0 } }),
    design('a_slow', { cycles: 1000, utilization: { lut: 0.1, ff: 0.1, dsp: 0.05, bram: 0, uram: 0 } }),
    design('c_fast', { cycles: 50, utilization: { lut: 1.3, ff: 0.4, dsp: 0.9, bram: 0.1, uram: 0 }, fits: false }),
    design('d_broken', { cycles: null, utilization: null, fits: null, error: 'no figures' })
  ];
  const rows = rowsOf(designs);
  const names = (sorted: ReturnType<typeof sortRows>) => sorted.map(r => r.design.name);

  it('keeps the kernel order without a sort', () => {
    expect(names(sortRows(rows, null))).toEqual(['b_mid', 'a_slow', 'c_fast', 'd_broken']);
  });
  it('sorts numbers as numbers, missing figures last both ways', () => {
    expect(names(sortRows(rows, { column: 'cycles', ascending: true }))).toEqual(['c_fast', 'b_mid', 'a_slow', 'd_broken']);
    expect(names(sortRows(rows, { column: 'cycles', ascending: false }))).toEqual(['a_slow', 'b_mid', 'c_fast', 'd_broken']);
  });
  it('sorts by utilisation and by name', () => {
    expect(names(sortRows(rows, { column: 'lut', ascending: false }))).toEqual(['c_fast', 'b_mid', 'a_slow', 'd_broken']);
    expect(names(sortRows(rows, { column: 'name', ascending: true }))).toEqual(['a_slow', 'b_mid', 'c_fast', 'd_broken']);
    expect(names(sortRows(rows, { column: 'fits', ascending: true }))).toEqual(['c_fast', 'b_mid', 'a_slow', 'd_broken']);
  });
  it('sorts names naturally (v2 before v10)', () => {
    const r = rowsOf([design('v10'), design('v2'), design('v1')]);
    expect(names(sortRows(r, { column: 'name', ascending: true }))).toEqual(['v1', 'v2', 'v10']);
  });
  it('reverses on a second click and starts ascending on a new column', () => {
    const first = nextSort(null, 'cycles');
    expect(first).toEqual({ column: 'cycles', ascending: true });
    expect(nextSort(first, 'cycles')).toEqual({ column: 'cycles', ascending: false });
    expect(nextSort(first, 'lut')).toEqual({ column: 'lut', ascending: true });
  });
});

describe('formats', () => {
  it('formats figures for the table', () => {
    const row = rowsOf([design('mlp', { cycles: 12345, latency_us: 61.725 })])[0];
    expect(cellText(row, 'cycles')).toBe('12,345');
    expect(cellText(row, 'latency_us')).toBe('61.7');
    expect(cellText(row, 'dsp')).toBe('0.9%');
    expect(cellText(row, 'fits')).toBe('yes');
    expect(cellText(row, 'order')).toBe('1');
  });
  it('formats edge values', () => {
    expect(formatPercent(null)).toBe('\u2013');
    expect(formatPercent(0.0004)).toBe('<0.1%');
    expect(formatPercent(1.234)).toBe('123%');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(2.5e7)).toBe('2.50e+7');
    expect(formatTime('not a time')).toBe('not a time');
    const now = new Date(2025, 0, 2, 12, 0, 0);
    expect(formatTime(new Date(2025, 0, 2, 10, 20, 30).toISOString(), now)).toBe('10:20:30');
    expect(formatTime(new Date(2024, 11, 31, 9, 5, 1).toISOString(), now)).toBe('2024-12-31 09:05:01');
  });
});

describe('compareDesigns', () => {
  const a = design('mlp');
  const b = design('mlp_fast', {
    precision: 'ap_fixed<8,3>',
    options: { unroll: '4', reuse: 'None', pipeline: 'True' },
    cycles: 60,
    latency_us: 0.3,
    resources: { lut: 24000, ff: 9000, dsp: 256, bram: 8, uram: 0 },
    layers: [
      { name: 'dense', kind: 'dot', cycles: 20, resources: null },
      { name: 'relu', kind: 'map', cycles: 50, resources: null }
    ]
  });
  const rows = compareDesigns(a, b);
  const row = (label: string) => rows.find(r => r.label === label)!;

  it('shows what differs with the change from a to b', () => {
    expect(row('Precision')).toMatchObject({ a: 'ap_fixed<16,6>', b: 'ap_fixed<8,3>', differs: true });
    expect(row('Latency (cycles)')).toMatchObject({ a: '120', b: '60', change: '-50%', direction: -1, better: 'lower' });
    expect(row('DSP')).toMatchObject({ a: '64 (0.9%)', change: '+300%', differs: true });
    expect(row('Device').differs).toBe(false);
  });
  it('lists options and layers only when they differ', () => {
    expect(row('unroll')).toMatchObject({ a: '1', b: '4', group: 'options' });
    expect(rows.find(r => r.label === 'reuse')).toBeUndefined();
    expect(row('dense (cycles)')).toMatchObject({ a: '70', b: '20', group: 'layers' });
    expect(rows.find(r => r.label === 'relu (cycles)')).toBeUndefined();
    expect(rows.find(r => r.label === 'URAM')).toBeUndefined();
  });
});
