import { KernelLink } from '../link';
import { exportRequest } from '../protocol';
import { designData, snapshotData } from './fixtures';
import { FakeKernel, FakeSessionContext } from './fakes';

function setup(kernel: FakeKernel | null = new FakeKernel()) {
  const context = new FakeSessionContext(kernel);
  const logger = { warn: jest.fn() };
  const link = new KernelLink(context, logger);
  const changes = jest.fn();
  link.onChange(changes);
  return { context, kernel, link, logger, changes };
}

describe('KernelLink', () => {
  it('opens a comm to the fpgalab target with a version 1 hello and shows the snapshot', () => {
    const { kernel, link } = setup();
    expect(kernel!.comms).toHaveLength(1);
    expect(kernel!.lastComm.target).toBe('fpgalab');
    expect(kernel!.lastComm.opened[0]).toMatchObject({ version: 1, type: 'hello' });
    expect(link.state).toBe('connecting');
    kernel!.lastComm.receive(snapshotData([designData('mlp')]));
    expect(link.state).toBe('connected');
    expect(link.designs.map(d => d.name)).toEqual(['mlp']);
    expect(link.fpgalabVersion).toBe('0.1.0');
  });

  it('is not-loaded when the kernel closes the comm, and retries after a cell that mentions fpga', () => {
    const { kernel, link } = setup();
    kernel!.lastComm.closeFromKernel();
    expect(link.state).toBe('not-loaded');
    kernel!.runCell('x = 1');
    expect(kernel!.comms).toHaveLength(1);
    kernel!.runCell('%load_ext fpgalab');
    expect(kernel!.comms).toHaveLength(2);
    expect(link.state).toBe('connecting');
    kernel!.lastComm.receive(snapshotData([]));
    expect(link.state).toBe('connected');
    expect(link.designs).toEqual([]);
    kernel!.runCell('%%fpga\nmodel');
    expect(kernel!.comms).toHaveLength(2); // connected: no new comm for later cells
  });

  it('connects again when a cell that mentions fpga closed the comm while it ran', () => {
    const { kernel, link } = setup();
    kernel!.lastComm.receive(snapshotData([designData('a')]));
    const parent = { msg_id: 'reload' };
    kernel!.iopubMessage.emit({ header: { msg_type: 'execute_input' }, parent_header: parent, content: { code: '%reload_ext fpgalab' } });
    kernel!.lastComm.closeFromKernel();
    expect(link.state).toBe('not-loaded');
    kernel!.iopubMessage.emit({ header: { msg_type: 'status' }, parent_header: parent, content: { execution_state: 'idle' } });
    expect(kernel!.comms).toHaveLength(2);
    expect(link.state).toBe('connecting');
  });

  it('replaces the designs with each snapshot', () => {
    const { kernel, link, changes } = setup();
    kernel!.lastComm.receive(snapshotData([designData('a')]));
    kernel!.lastComm.receive(snapshotData([designData('a'), designData('b')]));
    expect(link.designs.map(d => d.name)).toEqual(['a', 'b']);
    expect(changes).toHaveBeenCalled();
  });

  it('drops and logs malformed messages, keeping what it showed', () => {
    const { kernel, link, logger } = setup();
    kernel!.lastComm.receive(snapshotData([designData('a')]));
    kernel!.lastComm.receive(snapshotData([designData('b'), designData('c', { cycles: 'many' })]));
    kernel!.lastComm.receive({ version: 7, type: 'snapshot', designs: [] });
    kernel!.lastComm.receive('garbage');
    expect(link.designs.map(d => d.name)).toEqual(['a']);
    expect(link.dropped).toBe(3);
    expect(logger.warn).toHaveBeenCalledTimes(3);
    expect(logger.warn.mock.calls[0][0]).toMatch(/dropped a malformed message/);
  });

  it('clears on restart and asks again once the kernel is back', () => {
    const { context, kernel, link } = setup();
    kernel!.lastComm.receive(snapshotData([designData('a')]));
    context.statusChanged.emit('restarting');
    kernel!.lastComm.disposeSilently();
    expect(link.state).toBe('restarting');
    expect(link.designs).toEqual([]);
    context.statusChanged.emit('starting');
    context.statusChanged.emit('idle');
    expect(kernel!.comms).toHaveLength(2);
    kernel!.lastComm.closeFromKernel();
    expect(link.state).toBe('not-loaded');
    kernel!.runCell('%load_ext fpgalab');
    kernel!.lastComm.receive(snapshotData([designData('a')]));
    expect(link.designs.map(d => d.name)).toEqual(['a']);
  });

  it('follows a change of kernel and handles no kernel', () => {
    const { context, kernel, link } = setup();
    kernel!.lastComm.receive(snapshotData([designData('a')]));
    const other = new FakeKernel('k2');
    context.changeKernel(other);
    expect(kernel!.comms[0].closed).toBe(true);
    expect(kernel!.iopubMessage.slots).toHaveLength(0);
    expect(link.designs).toEqual([]);
    expect(other.comms).toHaveLength(1);
    context.changeKernel(null);
    expect(link.state).toBe('no-kernel');
    const empty = setup(null);
    expect(empty.link.state).toBe('no-kernel');
  });

  it('ignores messages of a comm it dropped', () => {
    const { context, kernel, link } = setup();
    const old = kernel!.lastComm;
    context.changeKernel(new FakeKernel('k2'));
    old.receive(snapshotData([designData('stale')]));
    expect(link.designs).toEqual([]);
  });

  it('sends export requests and resolves them with the matching result', async () => {
    const { kernel, link } = setup();
    const comm = kernel!.lastComm;
    comm.receive(snapshotData([designData('mlp')]));
    const pending = link.export(exportRequest('e1', 'mlp', 'hls', 'exports/mlp_hls', false));
    expect(comm.sent[0]).toMatchObject({ type: 'export', request_id: 'e1', path: 'exports/mlp_hls' });
    comm.receive({
      version: 1, type: 'export_result', request_id: 'e1', design: 'mlp', kind: 'hls', path: 'exports/mlp_hls',
      ok: true, exists: false, files: ['mlp.cpp'], error: null
    });
    await expect(pending).resolves.toMatchObject({ ok: true, files: ['mlp.cpp'] });
  });

  it('rejects exports when not connected or when the comm goes away', async () => {
    const { context, kernel, link } = setup();
    await expect(link.export(exportRequest('e1', 'mlp', 'hls', 'x', false))).rejects.toThrow(/not connected/);
    kernel!.lastComm.receive(snapshotData([designData('mlp')]));
    const pending = link.export(exportRequest('e2', 'mlp', 'hls', 'x', false));
    context.statusChanged.emit('restarting');
    await expect(pending).rejects.toThrow(/lost/);
  });

  it('shows an error message from the kernel and asks again on refresh', () => {
    const { kernel, link } = setup();
    const comm = kernel!.lastComm;
    comm.receive(snapshotData([designData('mlp')]));
    comm.receive({ version: 1, type: 'error', message: 'fpgalab kernel: unsupported version' });
    expect(link.kernelError).toBe('fpgalab kernel: unsupported version');
    link.refresh();
    expect(comm.sent[0]).toEqual({ version: 1, type: 'refresh' });
  });

  it('stops listening when disposed', () => {
    const { context, kernel, link } = setup();
    link.dispose();
    expect(context.kernelChanged.slots).toHaveLength(0);
    expect(context.statusChanged.slots).toHaveLength(0);
    expect(kernel!.iopubMessage.slots).toHaveLength(0);
    expect(kernel!.comms[0].closed).toBe(true);
  });
});
