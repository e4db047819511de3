/**
 * What the panel shows, as plain data: the columns of the design table, sorting, number formats and the
 * comparison of two designs. No DOM and no JupyterLab here.
 */

import { IDesign, RESOURCES, ResourceKind } from './protocol';

export type ColumnId =
  | 'order'
  | 'name'
  | 'device'
  | 'precision'
  | 'cycles'
  | 'latency_us'
  | 'interval'
  | 'lut'
  | 'ff'
  | 'dsp'
  | 'bram'
  | 'fits'
  | 'compiled_at';

export interface IColumn {
  id: ColumnId;
  label: string;
  title: string;
  numeric: boolean;
}

export const COLUMNS: IColumn[] = [
  { id: 'order', label: '#', title: 'Order compiled in this kernel', numeric: true },
  { id: 'name', label: 'Design', title: 'Variable the design is stored in', numeric: false },
  { id: 'device', label: 'Device', title: 'FPGA part', numeric: false },
  { id: 'precision', label: 'Precision', title: 'Number format', numeric: false },
  { id: 'cycles', label: 'Cycles', title: 'Latency of one input, clock cycles', numeric: true },
  { id: 'latency_us', label: 'µs', title: 'Latency of one input, microseconds', numeric: true },
  { id: 'interval', label: 'II', title: 'Interval: cycles between inputs in steady state', numeric: true },
  { id: 'lut', label: 'LUT', title: 'Share of the part\u2019s LUTs', numeric: true },
  { id: 'ff', label: 'FF', title: 'Share of the part\u2019s flip-flops', numeric: true },
  { id: 'dsp', label: 'DSP', title: 'Share of the part\u2019s DSP slices', numeric: true },
  { id: 'bram', label: 'BRAM', title: 'Share of the part\u2019s block RAM', numeric: true },
  { id: 'fits', label: 'Fits', title: 'Whether the estimate fits the part', numeric: false },
  { id: 'compiled_at', label: 'Compiled', title: 'When the cell that made it ran', numeric: false }
];

export const UTILIZATION_COLUMNS: ColumnId[] = ['lut', 'ff', 'dsp', 'bram'];

export interface ISort {
  column: ColumnId;
  ascending: boolean;
}

/** A design with its place in the kernel's list (the "#" column). */
export interface IRow {
  order: number;
  design: IDesign;
}

export function rowsOf(designs: readonly IDesign[]): IRow[] {
  return designs.map((design, k) => ({ order: k + 1, design }));
}

/** The value a column sorts by; null sorts last whichever the direction. */
export function sortKey(row: IRow, column: ColumnId): number | string | null {
  const d = row.design;
  switch (column) {
    case 'order':
      return row.order;
    case 'name':
    case 'device':
    case 'precision':
      return d[column];
    case 'cycles':
    case 'latency_us':
    case 'interval':
      return d[column];
    case 'lut':
    case 'ff':
    case 'dsp':
    case 'bram':
      return d.utilization ? d.utilization[column] : null;
    case 'fits':
      return d.fits === null ? null : d.fits ? 1 : 0;
    case 'compiled_at': {
      const t = Date.parse(d.compiled_at);
      return Number.isNaN(t) ? d.compiled_at || null : t;
    }
  }
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

export function sortRows(rows: readonly IRow[], sort: ISort | null): IRow[] {
  const out = rows.slice();
  if (!sort) {
    return out;
  }
  const sign = sort.ascending ? 1 : -1;
  out.sort((a, b) => {
    const x = sortKey(a, sort.column);
    const y = sortKey(b, sort.column);
    if (x === null || y === null) {
      if (x === y) {
        return a.order - b.order;
      }
      return x === null ? 1 : -1;
    }
    let c: number;
    if (typeof x === 'number' && typeof y === 'number') {
      c = x - y;
    } else {
      c = collator.compare(String(x), String(y));
    }
    return c !== 0 ? sign * c : a.order - b.order;
  });
  return out;
}

/** The sort after a click on a column header: new column ascending, same column reversed. */
export function nextSort(current: ISort | null, column: ColumnId): ISort {
  if (current && current.column === column) {
    return { column, ascending: !current.ascending };
  }
  return { column, ascending: true };
}

// ---------------------------------------------------------------- formats

export function formatInt(value: number | null): string {
  return value === null ? '\u2013' : Math.round(value).toLocaleString('en-US');
}

export function formatNumber(value: number | null, digits = 3): string {
  if (value === null) {
    return '\u2013';
  }
  if (value === 0) {
    return '0';
  }
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6 || magnitude < 1e-3) {
    return value.toExponential(2);
  }
  return Number(value.toPrecision(digits)).toLocaleString('en-US', { maximumFractionDigits: 6 });
}

export function formatPercent(fraction: number | null): string {
  if (fraction === null) {
    return '\u2013';
  }
  const percent = fraction * 100;
  if (percent > 0 && percent < 0.1) {
    return '<0.1%';
  }
  return `${percent < 10 ? percent.toFixed(1) : percent.toFixed(0)}%`;
}

/** Local time of day for today's designs, else date and time; the ISO text if unparsable. */
export function formatTime(iso: string, now: Date = new Date()): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) {
    return iso;
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}`;
  if (t.toDateString() === now.toDateString()) {
    return time;
  }
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ${time}`;
}

export function formatFits(fits: boolean | null): string {
  return fits === null ? '\u2013' : fits ? 'yes' : 'no';
}

/** The text of a cell of the table (the utilisation columns also draw a bar). */
export function cellText(row: IRow, column: ColumnId): string {
  const d = row.design;
  switch (column) {
    case 'order':
      return String(row.order);
    case 'name':
    case 'device':
    case 'precision':
      return d[column];
    case 'cycles':
    case 'interval':
      return formatInt(d[column]);
    case 'latency_us':
      return formatNumber(d.latency_us);
    case 'lut':
    case 'ff':
    case 'dsp':
    case 'bram':
      return formatPercent(d.utilization ? d.utilization[column] : null);
    case 'fits':
      return formatFits(d.fits);
    case 'compiled_at':
      return formatTime(d.compiled_at);
  }
}

// ---------------------------------------------------------------- comparison

export interface IDiffRow {
  group: 'design' | 'options' | 'figures' | 'layers';
  label: string;
  a: string;
  b: string;
  /** b relative to a for numbers, like "+12.5%"; empty when not numeric or a is 0. */
  change: string;
  /** whether lower is better for this figure: colours the change */
  better: 'lower' | 'higher' | null;
  differs: boolean;
  /** sign of b - a for numeric rows */
  direction: -1 | 0 | 1;
}

function changeOf(a: number | null, b: number | null): { change: string; direction: -1 | 0 | 1 } {
  if (a === null || b === null) {
    return { change: '', direction: 0 };
  }
  const direction = (Math.sign(b - a) || 0) as -1 | 0 | 1;
  if (a === 0) {
    return { change: b === 0 ? '' : 'new', direction };
  }
  const ratio = (b - a) / Math.abs(a);
  if (ratio === 0) {
    return { change: '', direction };
  }
  const percent = ratio * 100;
  const digits = Math.abs(percent) < 10 ? 1 : 0;
  return { change: `${percent > 0 ? '+' : ''}${percent.toFixed(digits)}%`, direction };
}

function numericRow(
  group: IDiffRow['group'],
  label: string,
  a: number | null,
  b: number | null,
  format: (v: number | null) => string,
  better: IDiffRow['better']
): IDiffRow {
  const { change, direction } = changeOf(a, b);
  return { group, label, a: format(a), b: format(b), change, better, differs: a !== b, direction };
}

function textRow(group: IDiffRow['group'], label: string, a: string, b: string): IDiffRow {
  return { group, label, a, b, change: '', better: null, differs: a !== b, direction: 0 };
}

const RESOURCE_LABEL: Record<ResourceKind, string> = { lut: 'LUT', ff: 'FF', dsp: 'DSP', bram: 'BRAM', uram: 'URAM' };

/**
 * The comparison of two designs: their settings and every figure side by side, with the change from
 * a to b. Options and layers are listed when they differ; figures always.
 */
export function compareDesigns(a: IDesign, b: IDesign): IDiffRow[] {
  const rows: IDiffRow[] = [
    textRow('design', 'Device', a.device, b.device),
    numericRow('design', 'Clock (MHz)', a.clock_mhz, b.clock_mhz, v => formatNumber(v), null),
    textRow('design', 'Precision', a.precision, b.precision)
  ];
  if (a.source || b.source) {
    rows.push(textRow('design', 'Source', a.source, b.source));
  }
  const options = Array.from(new Set([...Object.keys(a.options), ...Object.keys(b.options)])).sort();
  for (const key of options) {
    const x = a.options[key] ?? '\u2013';
    const y = b.options[key] ?? '\u2013';
    if (x !== y) {
      rows.push(textRow('options', key, x, y));
    }
  }
  rows.push(
    numericRow('figures', 'Latency (cycles)', a.cycles, b.cycles, formatInt, 'lower'),
    numericRow('figures', 'Latency (µs)', a.latency_us, b.latency_us, v => formatNumber(v), 'lower'),
    numericRow('figures', 'Interval (cycles)', a.interval, b.interval, formatInt, 'lower'),
    numericRow('figures', 'Throughput (/s)', a.throughput, b.throughput, v => formatNumber(v), 'higher')
  );
  for (const kind of RESOURCES) {
    const x = a.resources ? a.resources[kind] : null;
    const y = b.resources ? b.resources[kind] : null;
    if (kind === 'uram' && !x && !y) {
      continue;
    }
    const ux = a.utilization ? a.utilization[kind] : null;
    const uy = b.utilization ? b.utilization[kind] : null;
    const row = numericRow('figures', RESOURCE_LABEL[kind], x, y, formatInt, 'lower');
    if (ux !== null) {
      row.a += ` (${formatPercent(ux)})`;
    }
    if (uy !== null) {
      row.b += ` (${formatPercent(uy)})`;
    }
    rows.push(row);
  }
  rows.push(textRow('figures', 'Fits', formatFits(a.fits), formatFits(b.fits)));
  const layersB = new Map(b.layers.map(layer => [layer.name, layer]));
  for (const layer of a.layers) {
    const other = layersB.get(layer.name);
    if (other && other.cycles !== layer.cycles) {
      rows.push(numericRow('layers', `${layer.name} (cycles)`, layer.cycles, other.cycles, formatInt, 'lower'));
    }
  }
  return rows;
}
