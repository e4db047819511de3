/**
 * DOM for the panel, built with createElement and textContent only: every name and text that came from
 * the kernel is shown as text, never parsed as HTML.
 */

import { LinkState } from './link';
import {
  COLUMNS,
  ColumnId,
  IRow,
  ISort,
  UTILIZATION_COLUMNS,
  cellText,
  compareDesigns
} from './model';
import { IDesign } from './protocol';

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

export interface ITableHandlers {
  sort(column: ColumnId): void;
  toggle(name: string): void;
  open(name: string): void;
  export(name: string): void;
}

function utilizationBar(fraction: number | null, text: string): HTMLElement {
  const wrap = el('span', 'fpgalab-util');
  const bar = el('span', 'fpgalab-bar');
  const fill = el('span', 'fpgalab-bar-fill');
  const share = fraction === null ? 0 : Math.max(0, Math.min(1, fraction));
  fill.style.width = `${(share * 100).toFixed(1)}%`;
  if (fraction !== null && fraction > 1) {
    fill.classList.add('fpgalab-over');
  } else if (fraction !== null && fraction > 0.8) {
    fill.classList.add('fpgalab-high');
  }
  bar.appendChild(fill);
  wrap.append(bar, el('span', 'fpgalab-util-text', text));
  return wrap;
}

export function renderTable(
  rows: readonly IRow[],
  sort: ISort | null,
  selected: ReadonlySet<string>,
  handlers: ITableHandlers
): HTMLTableElement {
  const table = el('table', 'fpgalab-table');
  const head = el('thead');
  const headRow = el('tr');
  headRow.appendChild(el('th', 'fpgalab-select-col'));
  for (const column of COLUMNS) {
    const th = el('th', `fpgalab-col-${column.id}${column.numeric ? ' fpgalab-num' : ''}`);
    th.dataset.col = column.id;
    th.title = `${column.title} (click to sort)`;
    const button = el('button', 'fpgalab-sort', column.label);
    button.type = 'button';
    button.addEventListener('click', () => handlers.sort(column.id));
    th.appendChild(button);
    if (sort && sort.column === column.id) {
      th.setAttribute('aria-sort', sort.ascending ? 'ascending' : 'descending');
      th.appendChild(el('span', 'fpgalab-sort-mark', sort.ascending ? '\u25B2' : '\u25BC'));
    } else {
      th.setAttribute('aria-sort', 'none');
    }
    headRow.appendChild(th);
  }
  headRow.appendChild(el('th', 'fpgalab-actions-col'));
  head.appendChild(headRow);
  table.appendChild(head);

  const body = el('tbody');
  for (const row of rows) {
    const d = row.design;
    const tr = el('tr', 'fpgalab-row');
    tr.dataset.design = d.name;
    if (selected.has(d.name)) {
      tr.classList.add('fpgalab-selected');
    }
    if (d.fits === false) {
      tr.classList.add('fpgalab-nofit');
    }
    const pick = el('td', 'fpgalab-select-col');
    const box = el('input');
    box.type = 'checkbox';
    box.checked = selected.has(d.name);
    box.setAttribute('aria-label', `Select ${d.name} to compare`);
    box.addEventListener('change', () => handlers.toggle(d.name));
    pick.appendChild(box);
    tr.appendChild(pick);
    for (const column of COLUMNS) {
      const td = el('td', `fpgalab-col-${column.id}${column.numeric ? ' fpgalab-num' : ''}`);
      td.dataset.col = column.id;
      const text = cellText(row, column.id);
      if (column.id === 'name') {
        const link = el('button', 'fpgalab-name', text);
        link.type = 'button';
        link.title = `Go to the cell that compiled ${d.name}${d.source ? ` (${d.source})` : ''}`;
        link.addEventListener('click', () => handlers.open(d.name));
        td.appendChild(link);
      } else if ((UTILIZATION_COLUMNS as string[]).includes(column.id)) {
        const key = column.id as 'lut' | 'ff' | 'dsp' | 'bram';
        const fraction = d.utilization ? d.utilization[key] : null;
        const used = d.resources ? d.resources[key] : null;
        td.appendChild(utilizationBar(fraction, text));
        if (used !== null) {
          td.title = `${Math.round(used).toLocaleString('en-US')} ${column.label}`;
        }
      } else {
        td.textContent = text;
        if (column.id === 'compiled_at') {
          td.title = d.compiled_at;
        } else if (column.id === 'fits' && d.fits !== null) {
          td.classList.add(d.fits ? 'fpgalab-yes' : 'fpgalab-no');
        }
      }
      tr.appendChild(td);
    }
    const actions = el('td', 'fpgalab-actions-col');
    const exportButton = el('button', 'fpgalab-export', 'Export');
    exportButton.type = 'button';
    exportButton.title = `Export ${d.name} as HLS C++, LLVM IR or Verilog`;
    exportButton.addEventListener('click', () => handlers.export(d.name));
    actions.appendChild(exportButton);
    tr.appendChild(actions);
    body.appendChild(tr);
    if (d.error !== null) {
      const note = el('tr', 'fpgalab-row-error');
      const td = el('td', undefined, `${d.name}: no figures (${d.error})`);
      td.colSpan = COLUMNS.length + 2;
      note.appendChild(td);
      body.appendChild(note);
    }
    // hls4ml's design would stop the HLS tool or not place (fpgalab.estimate.buildcheck)
    const build = d.warnings.filter(w => w.startsWith('will not build'));
    if (build.length > 0) {
      const note = el('tr', 'fpgalab-row-build');
      const more = build.length > 1 ? ` (and ${build.length - 1} more)` : '';
      const td = el('td', undefined, `${d.name}: ${build[0]}${more}`);
      td.colSpan = COLUMNS.length + 2;
      note.appendChild(td);
      body.appendChild(note);
    }
  }
  table.appendChild(body);
  return table;
}

/** The comparison of two selected designs (a, b in the order they were selected). */
export function renderComparison(a: IDesign, b: IDesign, onClose: () => void): HTMLElement {
  const box = el('section', 'fpgalab-compare');
  const header = el('div', 'fpgalab-compare-header');
  header.append(el('span', 'fpgalab-compare-title', 'Comparison'));
  const close = el('button', 'fpgalab-compare-close', 'Clear selection');
  close.type = 'button';
  close.addEventListener('click', onClose);
  header.appendChild(close);
  box.appendChild(header);

  const table = el('table', 'fpgalab-diff');
  const head = el('tr');
  head.append(el('th', undefined, ''), el('th', 'fpgalab-diff-a', a.name), el('th', 'fpgalab-diff-b', b.name));
  head.appendChild(el('th', undefined, 'change'));
  const thead = el('thead');
  thead.appendChild(head);
  table.appendChild(thead);
  const body = el('tbody');
  let group = '';
  for (const row of compareDesigns(a, b)) {
    if (row.group !== group) {
      group = row.group;
      const groupRow = el('tr', 'fpgalab-diff-group');
      const cell = el('td', undefined, { design: 'Design', options: 'Options', figures: 'Figures', layers: 'Layers that differ' }[group]);
      cell.colSpan = 4;
      groupRow.appendChild(cell);
      body.appendChild(groupRow);
    }
    const tr = el('tr', row.differs ? 'fpgalab-differs' : 'fpgalab-same');
    tr.dataset.field = row.label;
    const change = el('td', 'fpgalab-change', row.change);
    if (row.better && row.direction !== 0) {
      const good = row.better === 'lower' ? row.direction < 0 : row.direction > 0;
      change.classList.add(good ? 'fpgalab-better' : 'fpgalab-worse');
    }
    tr.append(el('th', undefined, row.label), el('td', undefined, row.a), el('td', undefined, row.b), change);
    body.appendChild(tr);
  }
  table.appendChild(body);
  box.appendChild(table);
  return box;
}

const EMPTY: Record<LinkState | 'no-notebook', { title: string; lines: string[] }> = {
  'no-notebook': {
    title: 'No notebook',
    lines: ['Open a notebook to see the FPGA designs its kernel compiled.']
  },
  'no-kernel': {
    title: 'No kernel',
    lines: ['This notebook has no running kernel. Start one to compile designs.']
  },
  connecting: {
    title: 'Connecting\u2026',
    lines: ['Asking the kernel for its designs (it answers once the running cell finishes).']
  },
  'not-loaded': {
    title: 'fpgalab is not loaded in this kernel',
    lines: [
      'Run this in a cell to start:',
      '%load_ext fpgalab',
      'then compile with a cell that begins with %%fpga. Designs appear here as they are compiled.'
    ]
  },
  restarting: {
    title: 'Kernel restarting',
    lines: ['The designs of the old kernel are gone; re-run the notebook\u2019s cells to see them again.']
  },
  dead: {
    title: 'Kernel stopped',
    lines: ['The kernel is not running. Restart it, then re-run the notebook\u2019s cells.']
  },
  connected: {
    title: 'No designs yet',
    lines: ['Run a cell that begins with %%fpga to compile a design; it appears here with its figures.']
  }
};

export function renderEmpty(state: LinkState | 'no-notebook', retry: (() => void) | null): HTMLElement {
  const box = el('div', 'fpgalab-empty');
  box.dataset.state = state;
  const info = EMPTY[state];
  box.appendChild(el('h3', 'fpgalab-empty-title', info.title));
  for (const line of info.lines) {
    if (line.startsWith('%')) {
      box.appendChild(el('pre', 'fpgalab-code', line));
    } else {
      box.appendChild(el('p', undefined, line));
    }
  }
  if (retry) {
    const button = el('button', 'fpgalab-retry jp-mod-styled', 'Check again');
    button.type = 'button';
    button.addEventListener('click', retry);
    box.appendChild(button);
  }
  return box;
}
