/**
 * The side panel: the designs of the active notebook's kernel in a sortable table, the comparison of
 * two selected designs, and buttons to go to a design's cell and to export it.
 */

import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { KernelLink } from './link';
import { ColumnId, ISort, nextSort, rowsOf, sortRows } from './model';
import { IDesign } from './protocol';
import { el, renderComparison, renderEmpty, renderTable } from './view';

export interface IPanelActions {
  /** Scroll the notebook to the cell that compiled `design`. */
  openCell(link: KernelLink, design: IDesign): void;
  /** Ask where to export `design` and do it. */
  exportDesign(link: KernelLink, design: IDesign): void;
  /** The panel became visible (links to kernels are only made while someone looks). */
  shown?(): void;
}

export const PANEL_ID = 'fpgalab-panel';

export class FpgaPanel extends Widget {
  constructor(actions: IPanelActions) {
    super();
    this._actions = actions;
    this.id = PANEL_ID;
    this.addClass('fpgalab-panel');
    this.title.caption = 'FPGA designs';

    const header = el('div', 'fpgalab-header');
    header.appendChild(el('h2', 'fpgalab-heading', 'FPGA designs'));
    const refresh = el('button', 'fpgalab-refresh jp-mod-styled', 'Refresh');
    refresh.type = 'button';
    refresh.title = 'Ask the kernel for its designs again';
    refresh.addEventListener('click', () => this._link?.refresh());
    header.appendChild(refresh);
    this._sourceLine = el('div', 'fpgalab-source');
    this._status = el('div', 'fpgalab-status');
    this._body = el('div', 'fpgalab-body');
    this._compare = el('div', 'fpgalab-compare-area');
    this.node.append(header, this._sourceLine, this._status, this._body, this._compare);
    this.render();
  }

  /** The link shown: the active notebook's (null when no notebook is active). */
  get link(): KernelLink | null {
    return this._link;
  }

  setSource(link: KernelLink | null, notebookLabel: string): void {
    if (link === this._link && notebookLabel === this._label) {
      return;
    }
    this._unsubscribe?.();
    this._unsubscribe = null;
    if (link !== this._link) {
      this._selected = [];
    }
    this._link = link;
    this._label = notebookLabel;
    if (link) {
      this._unsubscribe = link.onChange(() => this.render());
    }
    this.render();
  }

  get sort(): ISort | null {
    return this._sort;
  }

  sortBy(column: ColumnId): void {
    this._sort = nextSort(this._sort, column);
    this.render();
  }

  /** Select or unselect a design for comparison; at most two, the oldest choice drops out. */
  toggle(name: string): void {
    const at = this._selected.indexOf(name);
    if (at >= 0) {
      this._selected.splice(at, 1);
    } else {
      this._selected.push(name);
      if (this._selected.length > 2) {
        this._selected.shift();
      }
    }
    this.render();
  }

  get selected(): readonly string[] {
    return this._selected;
  }

  render(): void {
    const link = this._link;
    // the notebook's name; its path from the server root on hover
    this._sourceLine.textContent = link ? this._label.split('/').pop() ?? '' : '';
    this._sourceLine.title = this._label;
    this._body.replaceChildren();
    this._compare.replaceChildren();
    if (!link) {
      this._status.textContent = '';
      this._status.dataset.state = 'no-notebook';
      this._body.appendChild(renderEmpty('no-notebook', null));
      return;
    }
    const state = link.state;
    const designs = link.designs;
    this._status.dataset.state = state;
    this._status.textContent = statusText(link);
    if (link.kernelError) {
      this._status.appendChild(el('div', 'fpgalab-kernel-error', link.kernelError));
    }
    if (state !== 'connected' || designs.length === 0) {
      this._selected = [];
      const retry = state === 'not-loaded' || state === 'connecting' ? () => link.connect() : null;
      this._body.appendChild(renderEmpty(state, retry));
      return;
    }
    const byName = new Map(designs.map(d => [d.name, d]));
    this._selected = this._selected.filter(name => byName.has(name));
    const rows = sortRows(rowsOf(designs), this._sort);
    const table = renderTable(rows, this._sort, new Set(this._selected), {
      sort: column => this.sortBy(column),
      toggle: name => this.toggle(name),
      open: name => {
        const design = byName.get(name);
        if (design) {
          this._actions.openCell(link, design);
        }
      },
      export: name => {
        const design = byName.get(name);
        if (design) {
          this._actions.exportDesign(link, design);
        }
      }
    });
    const scroller = el('div', 'fpgalab-table-wrap');
    scroller.appendChild(table);
    this._body.appendChild(scroller);
    if (this._selected.length === 2) {
      const [a, b] = this._selected.map(name => byName.get(name)!);
      this._compare.appendChild(
        renderComparison(a, b, () => {
          this._selected = [];
          this.render();
        })
      );
    } else {
      this._compare.appendChild(
        el(
          'p',
          'fpgalab-hint',
          this._selected.length === 1
            ? 'Select one more design to compare.'
            : 'Tick two designs to compare them. Click a name to go to its cell.'
        )
      );
    }
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._actions.shown?.();
  }

  dispose(): void {
    this._unsubscribe?.();
    this._unsubscribe = null;
    super.dispose();
  }

  private _actions: IPanelActions;
  private _link: KernelLink | null = null;
  private _label = '';
  private _unsubscribe: (() => void) | null = null;
  private _sort: ISort | null = null;
  private _selected: string[] = [];
  private _sourceLine: HTMLElement;
  private _status: HTMLElement;
  private _body: HTMLElement;
  private _compare: HTMLElement;
}

export function statusText(link: KernelLink): string {
  const kernel = link.kernelName ? ` \u00B7 kernel ${link.kernelName}` : '';
  switch (link.state) {
    case 'connected': {
      const n = link.designs.length;
      const version = link.fpgalabVersion ? ` \u00B7 fpgalab ${link.fpgalabVersion}` : '';
      return `${n} design${n === 1 ? '' : 's'}${version}${kernel}`;
    }
    case 'connecting':
      return `connecting${kernel}`;
    case 'not-loaded':
      return `fpgalab not loaded${kernel}`;
    case 'restarting':
      return `kernel restarting${kernel}`;
    case 'dead':
      return `kernel stopped${kernel}`;
    case 'no-kernel':
      return 'no kernel';
  }
}
