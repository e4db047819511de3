import { Widget } from '@lumino/widgets';

import { KernelLink } from '../link';
import { FpgaPanel } from '../panel';
import { designData, snapshotData } from './fixtures';
import { FakeKernel, FakeSessionContext } from './fakes';

function mount() {
  const actions = { openCell: jest.fn(), exportDesign: jest.fn() };
  const panel = new FpgaPanel(actions);
  Widget.attach(panel, document.body);
  const kernel = new FakeKernel();
  const link = new KernelLink(new FakeSessionContext(kernel), { warn: jest.fn() });
  return { actions, panel, kernel, link };
}

const rowNames = (panel: FpgaPanel) =>
  Array.from(panel.node.querySelectorAll<HTMLElement>('tr.fpgalab-row')).map(tr => tr.dataset.design);

describe('FpgaPanel', () => {
  afterEach(() => {
    document.body.replaceChildren();
  });

  it('says to open a notebook when there is none, and how to load fpgalab', () => {
    const { panel, kernel, link } = mount();
    expect(panel.node.querySelector('.fpgalab-empty')!.getAttribute('data-state')).toBe('no-notebook');
    panel.setSource(link, 'demo.ipynb');
    kernel.lastComm.closeFromKernel();
    const empty = panel.node.querySelector('.fpgalab-empty')!;
    expect(empty.getAttribute('data-state')).toBe('not-loaded');
    expect(empty.textContent).toContain('%load_ext fpgalab');
    expect(panel.node.querySelector('.fpgalab-source')!.textContent).toBe('demo.ipynb');
  });

  it('fills with each snapshot, sorts on header clicks and compares two designs', () => {
    const { panel, kernel, link, actions } = mount();
    panel.setSource(link, 'demo.ipynb');
    const comm = kernel.lastComm;
    comm.receive(snapshotData([designData('mlp', { cycles: 120 }), designData('mlp_fast', { cycles: 60 })]));
    expect(rowNames(panel)).toEqual(['mlp', 'mlp_fast']);
    expect(panel.node.querySelector('.fpgalab-status')!.textContent).toContain('2 designs');
    const sortBy = (col: string) =>
      (panel.node.querySelector(`th[data-col="${col}"] button`) as HTMLButtonElement).click();
    sortBy('cycles');
    expect(rowNames(panel)).toEqual(['mlp_fast', 'mlp']);
    sortBy('cycles');
    expect(rowNames(panel)).toEqual(['mlp', 'mlp_fast']);
    // the sort holds when a new snapshot arrives
    comm.receive(snapshotData([designData('mlp'), designData('mlp_fast', { cycles: 60 }), designData('tiny', { cycles: 10 })]));
    expect(rowNames(panel)).toEqual(['mlp', 'mlp_fast', 'tiny']);
    sortBy('cycles');
    expect(rowNames(panel)).toEqual(['tiny', 'mlp_fast', 'mlp']);

    const tick = (name: string) =>
      (panel.node.querySelector(`tr[data-design="${name}"] input[type=checkbox]`) as HTMLInputElement).click();
    tick('mlp');
    expect(panel.node.querySelector('.fpgalab-compare')).toBeNull();
    tick('tiny');
    const compare = panel.node.querySelector('.fpgalab-compare')!;
    expect(compare.querySelector('.fpgalab-diff-a')!.textContent).toBe('mlp');
    expect(compare.querySelector('.fpgalab-diff-b')!.textContent).toBe('tiny');
    tick('mlp_fast'); // a third choice drops the oldest
    expect(panel.selected).toEqual(['tiny', 'mlp_fast']);

    (panel.node.querySelector('tr[data-design="tiny"] .fpgalab-name') as HTMLButtonElement).click();
    expect(actions.openCell).toHaveBeenCalledWith(link, expect.objectContaining({ name: 'tiny' }));
    (panel.node.querySelector('tr[data-design="tiny"] .fpgalab-export') as HTMLButtonElement).click();
    expect(actions.exportDesign).toHaveBeenCalledWith(link, expect.objectContaining({ name: 'tiny' }));
  });

  it('clears on restart and follows the active notebook', () => {
    const { panel, kernel, link } = mount();
    const context2 = new FakeSessionContext(new FakeKernel('k2'));
    const link2 = new KernelLink(context2, { warn: jest.fn() });
    panel.setSource(link, 'a.ipynb');
    kernel.lastComm.receive(snapshotData([designData('mlp')]));
    panel.setSource(link2, 'b.ipynb');
    expect(rowNames(panel)).toEqual([]);
    context2.session.kernel!.lastComm.receive(snapshotData([designData('other')]));
    expect(rowNames(panel)).toEqual(['other']);
    panel.setSource(link, 'a.ipynb');
    expect(rowNames(panel)).toEqual(['mlp']);
    link2.dispose();
    (link as any)._onStatus(null, 'restarting');
    expect(rowNames(panel)).toEqual([]);
    expect(panel.node.querySelector('.fpgalab-empty')!.getAttribute('data-state')).toBe('restarting');
  });
});
