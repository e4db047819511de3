/**
 * The link between one notebook and the kernel side of fpgalab: a comm to the kernel's "fpgalab" target.
 *
 * - On connecting to a kernel (and after a restart) the link opens a comm; the kernel answers with a
 *   snapshot. If fpgalab is not loaded, ipykernel closes the comm at once: the link is `not-loaded`.
 * - While `not-loaded`, a cell whose code mentions fpga (`%load_ext fpgalab`, `import fpgalab`,
 *   `%%fpga`) makes the link try again once that cell has run, so the panel fills without a click.
 *   Kernels that never load fpgalab get one comm open per start and nothing else.
 * - A restart clears the designs; the snapshot after the cells re-run fills them again.
 *
 * Only the shapes of the JupyterLab objects are used here (see the I*Like interfaces), so that the
 * link can be tested with fakes.
 */

import {
  IDesign,
  IExportRequest,
  IExportResult,
  KernelMessage,
  ProtocolError,
  TARGET,
  hello,
  parseKernelMessage,
  refresh
} from './protocol';

export interface ISignalLike<T, A> {
  connect(slot: (sender: T, args: A) => void, thisArg?: unknown): boolean;
  disconnect(slot: (sender: T, args: A) => void, thisArg?: unknown): boolean;
}

export interface ICommLike {
  readonly commId: string;
  readonly isDisposed: boolean;
  onMsg: (msg: { content: { data: unknown } }) => void | PromiseLike<void>;
  onClose: (msg: { content: { data: unknown } }) => void | PromiseLike<void>;
  open(data?: any): unknown;
  send(data: any): unknown;
  close(data?: any): unknown;
}

export interface IIOPubLike {
  header: { msg_type: string };
  parent_header: { msg_id?: string } | Record<string, unknown>;
  content: any;
}

export interface IKernelLike {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly isDisposed: boolean;
  createComm(targetName: string): ICommLike;
  readonly iopubMessage: ISignalLike<any, IIOPubLike>;
}

export interface ISessionContextLike {
  readonly isDisposed: boolean;
  readonly session: { readonly kernel: IKernelLike | null } | null;
  readonly kernelChanged: ISignalLike<any, { newValue: IKernelLike | null }>;
  readonly statusChanged: ISignalLike<any, string>;
}

export type LinkState =
  | 'no-kernel' // the notebook has no kernel (yet)
  | 'connecting' // comm open sent, no answer yet (the kernel may be busy with a long cell)
  | 'connected' // the kernel sent a snapshot
  | 'not-loaded' // the kernel closed the comm: fpgalab not loaded there
  | 'restarting' // the kernel is restarting; designs cleared
  | 'dead'; // the kernel died or was shut down

export interface ILogger {
  warn(message: string, ...rest: unknown[]): void;
}

const RETRY_CODE = /fpga/i;
const EXPORT_TIMEOUT_MS = 120000;

export class KernelLink {
  constructor(context: ISessionContextLike, logger: ILogger = console) {
    this._context = context;
    this._logger = logger;
    context.kernelChanged.connect(this._onKernelChanged, this);
    context.statusChanged.connect(this._onStatus, this);
    this._attach(context.session?.kernel ?? null);
  }

  get state(): LinkState {
    return this._state;
  }
  get designs(): readonly IDesign[] {
    return this._designs;
  }
  get fpgalabVersion(): string {
    return this._version;
  }
  /** The last error the kernel reported (a refused request), if any. */
  get kernelError(): string | null {
    return this._kernelError;
  }
  /** Messages dropped because they did not follow the protocol. */
  get dropped(): number {
    return this._dropped;
  }
  get kernelName(): string {
    return this._kernel?.name ?? '';
  }
  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Called after any change of state or designs. */
  onChange(listener: (link: KernelLink) => void): () => void {
    this._listeners.add(listener);
    return () => this._listeners.delete(listener);
  }

  /** Open the comm if there is none (the panel's Retry button). */
  connect(): void {
    if (this._kernel && !this._comm) {
      this._open();
    }
  }

  /** Ask for a fresh snapshot (or connect if not connected). */
  refresh(): void {
    if (this._comm && this._state === 'connected') {
      this._comm.send(refresh());
    } else {
      this.connect();
    }
  }

  /** Send an export request; resolves with the kernel's answer. */
  export(request: IExportRequest): Promise<IExportResult> {
    const comm = this._comm;
    if (!comm || this._state !== 'connected') {
      return Promise.reject(new Error('fpgalab is not connected to this kernel'));
    }
    return new Promise<IExportResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this._pending.delete(request.request_id);
        reject(new Error('the kernel did not answer the export in time'));
      }, EXPORT_TIMEOUT_MS);
      this._pending.set(request.request_id, {
        resolve: (result: IExportResult) => {
          clearTimeout(timer);
          resolve(result);
        },
        reject: (err: Error) => {
          clearTimeout(timer);
          reject(err);
        }
      });
      comm.send(request);
    });
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._context.kernelChanged.disconnect(this._onKernelChanged, this);
    this._context.statusChanged.disconnect(this._onStatus, this);
    this._detach();
    this._listeners.clear();
  }

  // ---------------------------------------------------------------- kernel and comm

  private _onKernelChanged(_: unknown, args: { newValue: IKernelLike | null }): void {
    this._attach(args.newValue);
  }

  private _onStatus(_: unknown, status: string): void {
    if (status === 'restarting' || status === 'autorestarting') {
      this._dropComm();
      this._designs = [];
      this._setState('restarting');
    } else if (status === 'dead' || status === 'terminating') {
      this._dropComm();
      this._designs = [];
      this._setState('dead');
    } else if (status === 'idle' && (this._state === 'restarting' || this._state === 'dead')) {
      // back after a restart: fpgalab may be loaded at start-up (an IPython profile), so ask
      this._open();
    }
  }

  private _attach(kernel: IKernelLike | null): void {
    this._detach();
    this._kernel = kernel;
    if (!kernel) {
      this._setState('no-kernel');
      return;
    }
    kernel.iopubMessage.connect(this._onIOPub, this);
    this._open();
  }

  private _detach(): void {
    this._dropComm();
    if (this._kernel && !this._kernel.isDisposed) {
      this._kernel.iopubMessage.disconnect(this._onIOPub, this);
    }
    this._kernel = null;
    this._designs = [];
    this._retryAfter = null;
  }

  private _dropComm(): void {
    const comm = this._comm;
    this._comm = null;
    for (const pending of this._pending.values()) {
      pending.reject(new Error('the connection to the kernel was lost'));
    }
    this._pending.clear();
    if (comm && !comm.isDisposed) {
      comm.onMsg = () => undefined;
      comm.onClose = () => undefined;
      try {
        comm.close();
      } catch {
        // the kernel is gone already
      }
    }
  }

  private _open(): void {
    const kernel = this._kernel;
    if (!kernel || kernel.isDisposed) {
      return;
    }
    this._dropComm();
    let comm: ICommLike;
    try {
      comm = kernel.createComm(TARGET);
    } catch (err) {
      this._logger.warn('fpgalab: cannot open a comm to the kernel', err);
      this._setState('not-loaded');
      return;
    }
    this._comm = comm;
    comm.onMsg = msg => this._onMessage(comm, msg.content.data);
    comm.onClose = () => this._onClose(comm);
    this._setState('connecting');
    try {
      comm.open(hello());
    } catch (err) {
      this._logger.warn('fpgalab: comm open failed', err);
      this._onClose(comm);
    }
  }

  private _onClose(comm: ICommLike): void {
    if (comm !== this._comm) {
      return;
    }
    this._comm = null;
    for (const pending of this._pending.values()) {
      pending.reject(new Error('fpgalab closed the connection'));
    }
    this._pending.clear();
    this._designs = [];
    this._setState('not-loaded');
  }

  private _onIOPub(_: unknown, msg: IIOPubLike): void {
    // Remember a cell that mentions fpga whatever the state: `%reload_ext fpgalab` may close the comm
    // while it runs. Once it has run, try again if there is no comm.
    const type = msg.header.msg_type;
    if (type === 'execute_input' && typeof msg.content?.code === 'string' && RETRY_CODE.test(msg.content.code)) {
      this._retryAfter = (msg.parent_header as { msg_id?: string }).msg_id ?? null;
    } else if (
      type === 'status' &&
      msg.content?.execution_state === 'idle' &&
      this._retryAfter !== null &&
      (msg.parent_header as { msg_id?: string }).msg_id === this._retryAfter
    ) {
      this._retryAfter = null;
      if (this._state === 'not-loaded') {
        this._open();
      }
    }
  }

  private _onMessage(comm: ICommLike, data: unknown): void {
    if (comm !== this._comm) {
      return;
    }
    let message: KernelMessage;
    try {
      message = parseKernelMessage(data);
    } catch (err) {
      this._dropped += 1;
      const reason = err instanceof ProtocolError ? err.message : String(err);
      this._logger.warn(`fpgalab: dropped a malformed message from the kernel: ${reason}`);
      return;
    }
    if (message.type === 'snapshot') {
      this._designs = message.designs;
      this._version = message.fpgalab;
      this._kernelError = null;
      this._setState('connected', true);
    } else if (message.type === 'export_result') {
      const pending = this._pending.get(message.request_id);
      if (pending) {
        this._pending.delete(message.request_id);
        pending.resolve(message);
      } else {
        this._logger.warn(`fpgalab: an export result nobody asked for (${message.request_id})`);
      }
    } else {
      this._kernelError = message.message;
      this._emit();
    }
  }

  private _setState(state: LinkState, force = false): void {
    if (state !== this._state || force) {
      this._state = state;
      this._emit();
    }
  }

  private _emit(): void {
    for (const listener of Array.from(this._listeners)) {
      try {
        listener(this);
      } catch (err) {
        this._logger.warn('fpgalab: panel listener failed', err);
      }
    }
  }

  private _context: ISessionContextLike;
  private _logger: ILogger;
  private _kernel: IKernelLike | null = null;
  private _comm: ICommLike | null = null;
  private _state: LinkState = 'no-kernel';
  private _designs: IDesign[] = [];
  private _version = '';
  private _kernelError: string | null = null;
  private _dropped = 0;
  private _retryAfter: string | null = null;
  private _disposed = false;
  private _listeners = new Set<(link: KernelLink) => void>();
  private _pending = new Map<string, { resolve: (r: IExportResult) => void; reject: (e: Error) => void }>();
}
