/**
 * The side panel in a real JupyterLab and a real kernel: designs appear as `%%fpga` cells run, with the
 * figures `design.report()` gives; sorting, comparing, going to a cell, exporting; a restart clears the
 * panel and re-running fills it again; a second notebook without fpgalab shows how to start.
 *
 * FPGALAB_SCREENSHOTS=1 also writes docs/screenshots/panel*.png.
 */
import { expect, test } from '@jupyterlab/galata';
import type { Locator, Page } from '@playwright/test';
import * as path from 'path';

import { formatInt, formatPercent } from '../../src/model';

// Real sessions and kernels (Galata mocks them otherwise).
test.use({ sessions: null, kernels: null, autoGoto: true });

const NOTEBOOK = 'panel_demo.ipynb';
const SCREENSHOTS = path.resolve(__dirname, '..', '..', '..', 'docs', 'screenshots');
const shoot = !!process.env.FPGALAB_SCREENSHOTS;

// Cells of notebooks/panel_demo.ipynb
const LOAD = 1;
const MLP = 2;
const MLP_FIGURES = 3;
const REUSE4 = 4;
const REUSE4_FIGURES = 5;

interface IFigures {
  cycles: number;
  interval: number;
  latency_us: number;
  lut: number;
  dsp: number;
  fits: boolean;
}

async function figuresOf(page: Page, cell: number): Promise<IFigures> {
  const output = (await page.notebook.getCellTextOutput(cell)) ?? [];
  const line = output.join('\n').split('\n').find(l => l.startsWith('FIGURES '));
  expect(line, `cell ${cell} printed its figures`).toBeTruthy();
  return JSON.parse(line!.slice('FIGURES '.length));
}

async function expectRow(panel: Locator, name: string, figures: IFigures): Promise<void> {
  const row = panel.locator(`tr.fpgalab-row[data-design="${name}"]`);
  await expect(row).toBeVisible();
  await expect(row.locator('td[data-col="cycles"]')).toHaveText(formatInt(figures.cycles));
  await expect(row.locator('td[data-col="interval"]')).toHaveText(formatInt(figures.interval));
  await expect(row.locator('td[data-col="lut"]')).toHaveText(formatPercent(figures.lut));
  await expect(row.locator('td[data-col="dsp"]')).toHaveText(formatPercent(figures.dsp));
  await expect(row.locator('td[data-col="fits"]')).toHaveText(figures.fits ? 'yes' : 'no');
  await expect(row.locator('td[data-col="device"]')).toHaveText('xcvu9p');
  await expect(row.locator('td[data-col="precision"]')).toHaveText('ap_fixed<16,6>');
}

async function rowNames(panel: Locator): Promise<string[]> {
  return panel.locator('tr.fpgalab-row').evaluateAll(rows => rows.map(r => (r as HTMLElement).dataset.design ?? ''));
}

test('the panel shows the designs of the active notebook\u2019s kernel', async ({ page, tmpPath }) => {
  const dropped: string[] = [];
  page.on('console', message => {
    if (message.text().includes('fpgalab: dropped')) {
      dropped.push(message.text());
    }
  });
  await page.contents.uploadFile(path.resolve(__dirname, '..', 'notebooks', NOTEBOOK), `${tmpPath}/${NOTEBOOK}`);
  await page.notebook.openByPath(`${tmpPath}/${NOTEBOOK}`);
  await page.notebook.activate(NOTEBOOK);

  const panel = page.locator('#fpgalab-panel');
  await test.step('the panel is in the left area with its chip icon', async () => {
    const tab = page.sidebar.getTabLocator('fpgalab-panel');
    await expect(tab).toHaveAttribute('title', 'FPGA designs');
    await expect(tab.locator('svg')).toHaveCount(1);
    await page.sidebar.openTab('fpgalab-panel');
    await expect(panel).toBeVisible();
    await page.sidebar.setWidth(840, 'left');
  });

  await test.step('before %load_ext it says how to start', async () => {
    await expect(panel.locator('.fpgalab-empty[data-state="not-loaded"]')).toBeVisible();
    await expect(panel.locator('.fpgalab-empty')).toContainText('%load_ext fpgalab');
    await expect(panel.locator('.fpgalab-source')).toHaveText(NOTEBOOK);
    await expect(panel.locator('.fpgalab-source')).toHaveAttribute('title', `${tmpPath}/${NOTEBOOK}`);
  });

  await test.step('%load_ext connects: no designs yet', async () => {
    await page.notebook.runCell(LOAD);
    await expect(panel.locator('.fpgalab-empty[data-state="connected"]')).toBeVisible();
  });

  let mlp: IFigures;
  let reuse4: IFigures;
  await test.step('a %%fpga cell adds its design with the figures of design.report()', async () => {
    await page.notebook.runCell(MLP);
    await page.notebook.runCell(MLP_FIGURES);
    mlp = await figuresOf(page, MLP_FIGURES);
    await expectRow(panel, 'mlp', mlp);
    await expect(panel.locator('.fpgalab-status')).toContainText('1 design');
  });

  await test.step('a second variant is listed after it, and the table sorts by any column', async () => {
    await page.notebook.runCell(REUSE4);
    await page.notebook.runCell(REUSE4_FIGURES);
    reuse4 = await figuresOf(page, REUSE4_FIGURES);
    expect(reuse4.cycles).not.toBe(mlp.cycles);
    await expectRow(panel, 'mlp_reuse4', reuse4);
    expect(await rowNames(panel)).toEqual(['mlp', 'mlp_reuse4']);

    const byCycles = [['mlp', mlp.cycles], ['mlp_reuse4', reuse4.cycles]] as [string, number][];
    byCycles.sort((a, b) => a[1] - b[1]);
    const sortButton = panel.locator('th[data-col="cycles"] button');
    await sortButton.click();
    await expect(panel.locator('th[data-col="cycles"]')).toHaveAttribute('aria-sort', 'ascending');
    expect(await rowNames(panel)).toEqual(byCycles.map(([name]) => name));
    await sortButton.click();
    await expect(panel.locator('th[data-col="cycles"]')).toHaveAttribute('aria-sort', 'descending');
    expect(await rowNames(panel)).toEqual(byCycles.map(([name]) => name).reverse());
    await panel.locator('th[data-col="name"] button').click();
    expect(await rowNames(panel)).toEqual(['mlp', 'mlp_reuse4']);
  });

  await test.step('two ticked designs are compared', async () => {
    await panel.locator('tr[data-design="mlp"] input[type=checkbox]').check();
    await panel.locator('tr[data-design="mlp_reuse4"] input[type=checkbox]').check();
    const compare = panel.locator('.fpgalab-compare');
    await expect(compare).toBeVisible();
    await expect(compare.locator('.fpgalab-diff-a')).toHaveText('mlp');
    await expect(compare.locator('.fpgalab-diff-b')).toHaveText('mlp_reuse4');
    const latency = compare.locator('tr[data-field="Latency (cycles)"] td');
    await expect(latency.nth(0)).toHaveText(formatInt(mlp.cycles));
    await expect(latency.nth(1)).toHaveText(formatInt(reuse4.cycles));
    await expect(compare.locator('tr[data-field="reuse"]')).toBeVisible();
    if (shoot) {
      await page.screenshot({ path: path.join(SCREENSHOTS, 'panel.png') });
      await panel.screenshot({ path: path.join(SCREENSHOTS, 'panel_compare.png') });
    }
  });

  await test.step('clicking a design goes to the cell that compiled it', async () => {
    await page.notebook.selectCells(REUSE4_FIGURES);
    await panel.locator('tr[data-design="mlp"] .fpgalab-name').click();
    const active = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell.jp-mod-active');
    await expect(active).toContainText('--name mlp ');
    await panel.locator('tr[data-design="mlp_reuse4"] .fpgalab-name').click();
    await expect(active).toContainText('--name mlp_reuse4');
  });

  await test.step('a design is exported into a folder next to the notebook, never overwritten unasked', async () => {
    const exportDesign = async () => {
      await panel.locator('tr[data-design="mlp"] .fpgalab-export').click();
      const dialog = page.locator('.jp-Dialog');
      await expect(dialog.locator('.fpgalab-export-path')).toHaveValue('exports/mlp_hls');
      await dialog.getByRole('button', { name: 'Export' }).click();
    };
    await exportDesign();
    const folder = `${tmpPath}/exports/mlp_hls`;
    const failure = page.locator('.jp-Dialog', { hasText: 'cannot export designs yet' });
    const written = page.locator('.Toastify__toast', { hasText: 'written to' });
    await expect(failure.or(written).first()).toBeVisible({ timeout: 120000 });
    if (await failure.isVisible()) {
      // Design.emit is not in this fpgalab yet: the kernel said so, and the panel showed it as an error.
      test.info().annotations.push({ type: 'skipped', description: 'export: Design.emit missing' });
      await failure.getByRole('button').first().click();
      await expect(failure).toHaveCount(0);
      return;
    }
    await expect(written).toContainText('mlp: HLS C++');
    await expect.poll(() => page.filebrowser.getCurrentDirectory()).toBe(folder);
    expect(await page.contents.directoryExists(`${folder}/`)).toBe(true);
    await expect(page.locator('.jp-DirListing-item', { hasText: '.cpp' }).first()).toBeVisible();
    if (shoot) {
      await page.screenshot({ path: path.join(SCREENSHOTS, 'panel_export.png') });
    }
    // the file browser took the left area: back to the panel, and export again to the same folder
    await page.sidebar.openTab('fpgalab-panel');
    await exportDesign();
    const replace = page.locator('.jp-Dialog', { hasText: 'already exists' });
    await expect(replace).toBeVisible();
    await replace.getByRole('button', { name: 'Cancel' }).click();
    await expect(replace).toHaveCount(0);
  });

  await test.step('a second notebook whose kernel has no fpgalab shows how to start; the first keeps its designs', async () => {
    await page.notebook.createNew('other.ipynb');
    await expect(panel.locator('.fpgalab-source')).toHaveText('other.ipynb');
    await expect(panel.locator('.fpgalab-empty[data-state="not-loaded"]')).toBeVisible();
    if (shoot) {
      await panel.screenshot({ path: path.join(SCREENSHOTS, 'panel_not_loaded.png') });
    }
    await page.notebook.activate(NOTEBOOK);
    await expect(panel.locator('.fpgalab-source')).toHaveText(NOTEBOOK);
    expect(await rowNames(panel)).toEqual(['mlp', 'mlp_reuse4']);
  });

  await test.step('a kernel restart clears the panel', async () => {
    await page.menu.clickMenuItem('Kernel>Restart Kernel…');
    await page.locator('.jp-Dialog .jp-mod-accept').click();
    await expect(panel.locator('tr.fpgalab-row')).toHaveCount(0);
    await expect(panel.locator('.fpgalab-empty[data-state="not-loaded"]')).toBeVisible();
  });

  await test.step('re-running the notebook fills it again', async () => {
    await page.notebook.run();
    await expectRow(panel, 'mlp', await figuresOf(page, MLP_FIGURES));
    await expectRow(panel, 'mlp_reuse4', await figuresOf(page, REUSE4_FIGURES));
    expect(await rowNames(panel)).toEqual(['mlp', 'mlp_reuse4']);
  });

  expect(dropped).toEqual([]);
});
