/** Stand-ins for JupyterLab's session context, kernel connection and comm, with only what KernelLink uses. */

import { ICommLike, IIOPubLike, IKernelLike, ISessionContextLike, ISignalLike } from '../link';

export class FakeSignal<T, A> implements ISignalLike<T, A> {
  constructor(private sender: T) {}
  connect(slot: (sender: T, args: A) => void, thisArg?: unknown): boolean {
    this.slots.push({ slot, thisArg });
    return true;
  }
  disconnect(slot: (sender: T, args: A) => void, thisArg?: unknown): boolean {
    const before = this.slots.length;
    this.slots = this.slots.filter(s => !(s.slot === slot && s.thisArg === thisArg));
    return this.slots.length !== before;
  }
  emit(args: A): void {
    for (const { slot, thisArg } of this.slots.slice()) {
      slot.call(thisArg, this.sender, args);
    }
  }
  slots: { slot: (sender: T, args: A) => void; thisArg?: unknown }[] = [];
}

export class FakeComm implements ICommLike {
  constructor(readonly target: string, readonly commId: string) {}
  isDisposed = false;
  opened: unknown[] = [];
  sent: any[] = [];
  closed = false;
  onMsg: (msg: { content: { data: unknown } }) => void = () => undefined;
  onClose: (msg: { content: { data: unknown } }) => void = () => undefined;
  open(data?: unknown) {
    this.opened.push(data);
  }
  send(data: unknown) {
    this.sent.push(data);
  }
  close() {
    this.closed = true;
    this.isDisposed = true;
  }
  /** The kernel sends data on this comm. */
  receive(data: unknown) {
    this.onMsg({ content: { data } });
  }
  /** The kernel closes the comm (ipykernel does so for an unknown target). */
  closeFromKernel() {
    this.isDisposed = true;
    this.onClose({ content: { data: {} } });
  }
  /** A restart disposes comms without calling onClose. */
  disposeSilently() {
    this.isDisposed = true;
  }
}

export class FakeKernel implements IKernelLike {
  constructor(readonly id = 'k1', readonly name = 'python3') {}
  status = 'idle';
  isDisposed = false;
  comms: FakeComm[] = [];
  iopubMessage = new FakeSignal<FakeKernel, IIOPubLike>(this);
  createComm(target: string): FakeComm {
    const comm = new FakeComm(target, `c${this.comms.length + 1}`);
    this.comms.push(comm);
    return comm;
  }
  get lastComm(): FakeComm {
    return this.comms[this.comms.length - 1];
  }
  /** What the kernel publishes on iopub while running a cell with `code`. */
  runCell(code: string, msgId = `m${Math.random()}`) {
    const parent = { msg_id: msgId };
    this.iopubMessage.emit({ header: { msg_type: 'status' }, parent_header: parent, content: { execution_state: 'busy' } });
    this.iopubMessage.emit({ header: { msg_type: 'execute_input' }, parent_header: parent, content: { code } });
    this.iopubMessage.emit({ header: { msg_type: 'status' }, parent_header: parent, content: { execution_state: 'idle' } });
  }
}

export class FakeSessionContext implements ISessionContextLike {
  constructor(kernel: FakeKernel | null) {
    this.session = { kernel };
  }
  isDisposed = false;
  session: { kernel: FakeKernel | null };
  kernelChanged = new FakeSignal<FakeSessionContext, { newValue: FakeKernel | null }>(this);
  statusChanged = new FakeSignal<FakeSessionContext, string>(this);
  changeKernel(kernel: FakeKernel | null) {
    this.session = { kernel };
    this.kernelChanged.emit({ newValue: kernel });
  }
}
