/**
 * fpgalab's JupyterLab extension: the "FPGA designs" side panel.
 *
 * One KernelLink per open notebook (each with its own comm to its kernel); the panel shows the link
 * of the active notebook.
 */

import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Dialog, Notification, showDialog, showErrorMessage } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { ICodeCellModel } from '@jupyterlab/cells';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { Widget } from '@lumino/widgets';

import { chipIcon } from './icon';
import { ISessionContextLike, KernelLink } from './link';
import { FpgaPanel, PANEL_ID } from './panel';
import {
  EXPORT_KINDS,
  EXPORT_LABELS,
  ExportKind,
  IDesign,
  defaultExportPath,
  exportPathProblem,
  exportRequest
} from './protocol';

const COMMAND_SHOW = 'fpgalab:show-panel';

/** The body of the export dialog: the format and a folder relative to the notebook. */
class ExportForm extends Widget {
  constructor(design: string) {
    super();
    this.addClass('fpgalab-export-form');
    const kindLabel = document.createElement('label');
    kindLabel.textContent = 'Format';
    this._kind = document.createElement('select');
    this._kind.className = 'fpgalab-export-kind';
    for (const kind of EXPORT_KINDS) {
      const option = document.createElement('option');
      option.value = kind;
      option.textContent = EXPORT_LABELS[kind];
      this._kind.appendChild(option);
    }
    kindLabel.appendChild(this._kind);
    const pathLabel = document.createElement('label');
    pathLabel.textContent = 'Folder (relative to the notebook)';
    this._path = document.createElement('input');
    this._path.className = 'fpgalab-export-path';
    this._path.type = 'text';
    this._path.spellcheck = false;
    this._path.value = defaultExportPath(design, 'hls');
    pathLabel.appendChild(this._path);
    this._problem = document.createElement('p');
    this._problem.className = 'fpgalab-export-problem';
    this._kind.addEventListener('change', () => {
      if (!this._edited) {
        this._path.value = defaultExportPath(design, this._kind.value as ExportKind);
      }
    });
    this._path.addEventListener('input', () => {
      this._edited = true;
      this._problem.textContent = exportPathProblem(this._path.value) ?? '';
    });
    this.node.append(kindLabel, pathLabel, this._problem);
  }

  getValue(): { kind: ExportKind; path: string } {
    return { kind: this._kind.value as ExportKind, path: this._path.value };
  }

  private _kind: HTMLSelectElement;
  private _path: HTMLInputElement;
  private _problem: HTMLParagraphElement;
  private _edited = false;
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'fpgalab:panel',
  description: 'The FPGA designs of the active notebook\u2019s kernel, side by side.',
  autoStart: true,
  requires: [INotebookTracker],
  activate: (app: JupyterFrontEnd, tracker: INotebookTracker) => {
    const links = new Map<NotebookPanel, KernelLink>();
    const notebookOf = new Map<KernelLink, NotebookPanel>();
    let requests = 0;

    const openCell = async (link: KernelLink, design: IDesign) => {
      const notebookPanel = notebookOf.get(link);
      if (!notebookPanel) {
        return;
      }
      const notebook = notebookPanel.content;
      const cells = notebook.widgets;
      let index = design.cell_id === null ? -1 : cells.findIndex(cell => cell.model.id === design.cell_id);
      if (index < 0 && design.execution_count !== null) {
        index = cells.findIndex(
          cell =>
            cell.model.type === 'code' &&
            (cell.model as ICodeCellModel).executionCount === design.execution_count
        );
      }
      if (index < 0) {
        Notification.info(`The cell that compiled ${design.name} is no longer in this notebook.`, {
          autoClose: 4000
        });
        return;
      }
      app.shell.activateById(notebookPanel.id);
      notebook.activeCellIndex = index;
      notebook.mode = 'command';
      const cell = notebook.widgets[index];
      await notebook.scrollToCell(cell, 'center');
      cell.addClass('fpgalab-flash');
      window.setTimeout(() => cell.removeClass('fpgalab-flash'), 1600);
    };

    const exportDesign = async (link: KernelLink, design: IDesign) => {
      const notebookPanel = notebookOf.get(link);
      if (!notebookPanel) {
        return;
      }
      const result = await showDialog({
        title: `Export ${design.name}`,
        body: new ExportForm(design.name),
        buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Export' })],
        focusNodeSelector: 'input'
      });
      if (!result.button.accept || !result.value) {
        return;
      }
      const { kind, path } = result.value;
      const problem = exportPathProblem(path);
      if (problem) {
        await showErrorMessage('Cannot export there', problem);
        return;
      }
      const label = EXPORT_LABELS[kind];
      try {
        let reply = await link.export(exportRequest(`e${++requests}`, design.name, kind, path, false));
        if (!reply.ok && reply.exists) {
          const confirm = await showDialog({
            title: 'Replace the folder?',
            body: `${reply.path} already exists next to the notebook. Replace it with the ${label} of ${design.name}?`,
            buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Replace' })]
          });
          if (!confirm.button.accept) {
            return;
          }
          reply = await link.export(exportRequest(`e${++requests}`, design.name, kind, path, true));
        }
        if (!reply.ok) {
          await showErrorMessage(`Export of ${design.name} failed`, reply.error ?? 'unknown error');
          return;
        }
        const folder = PathExt.join(PathExt.dirname(notebookPanel.context.path), reply.path);
        const count = reply.files.length;
        Notification.success(`${design.name}: ${label} written to ${folder} (${count} file${count === 1 ? '' : 's'})`, {
          autoClose: 5000
        });
        try {
          await app.commands.execute('filebrowser:go-to-path', { path: folder });
        } catch (err) {
          console.warn('fpgalab: cannot open the export folder in the file browser', err);
        }
      } catch (err) {
        await showErrorMessage(`Export of ${design.name} failed`, err instanceof Error ? err.message : String(err));
      }
    };

    const panel = new FpgaPanel({
      openCell: (link, design) => void openCell(link, design),
      exportDesign: (link, design) => void exportDesign(link, design),
      shown: () => showCurrent()
    });
    panel.title.icon = chipIcon;
    app.shell.add(panel, 'left', { rank: 650, type: 'FPGA designs' });

    // A notebook gets its link (and its kernel a comm open) the first time it is current while the panel
    // is visible: users who never open the panel cost their kernels nothing.
    const linkFor = (notebookPanel: NotebookPanel): KernelLink => {
      let link = links.get(notebookPanel);
      if (!link) {
        link = new KernelLink(notebookPanel.sessionContext as unknown as ISessionContextLike);
        links.set(notebookPanel, link);
        notebookOf.set(link, notebookPanel);
        notebookPanel.disposed.connect(() => {
          const gone = links.get(notebookPanel);
          links.delete(notebookPanel);
          if (gone) {
            notebookOf.delete(gone);
            if (panel.link === gone) {
              panel.setSource(null, '');
            }
            gone.dispose();
          }
        });
        notebookPanel.context.pathChanged.connect(() => showCurrent());
      }
      return link;
    };

    const showCurrent = () => {
      if (!panel.isVisible) {
        return;
      }
      const current = tracker.currentWidget;
      if (!current || current.isDisposed) {
        panel.setSource(null, '');
        return;
      }
      panel.setSource(linkFor(current), current.context.path);
    };

    tracker.currentChanged.connect(showCurrent);
    showCurrent();

    app.commands.addCommand(COMMAND_SHOW, {
      label: 'Show the FPGA designs panel',
      icon: chipIcon,
      execute: () => app.shell.activateById(PANEL_ID)
    });
  }
};

export default plugin;
