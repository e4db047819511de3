/**
 * The messages between the panel and the kernel side (fpgalab/magics/comm.py), version 1.
 *
 * Kernel → panel: `snapshot` (the whole design list), `export_result`, `error`.
 * Panel → kernel: `hello` (the comm open's data), `refresh`, `export`.
 *
 * Everything that arrives is checked here in full before any of it is used: a message that does not
 * follow the protocol is dropped whole (and logged by the caller), never shown half-parsed.
 */

export const VERSION = 1;
export const TARGET = 'fpgalab';
export const RESOURCES = ['lut', 'ff', 'dsp', 'bram', 'uram'] as const;
export type ResourceKind = (typeof RESOURCES)[number];
export type Resources = Record<ResourceKind, number | null>;
export const EXPORT_KINDS = ['hls', 'llvm', 'verilog', 'hls4ml'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];
export const EXPORT_LABELS: Record<ExportKind, string> = {
  hls: 'HLS C++',
  llvm: 'LLVM IR',
  verilog: 'Verilog',
  hls4ml: 'hls4ml config'
};

export interface ILayer {
  name: string;
  kind: string;
  cycles: number | null;
  resources: Resources | null;
}

export interface IDesign {
  name: string;
  device: string;
  clock_mhz: number | null;
  precision: string;
  source: string;
  cell_id: string | null;
  execution_count: number | null;
  compiled_at: string;
  options: Record<string, string>;
  cycles: number | null;
  interval: number | null;
  latency_us: number | null;
  throughput: number | null;
  resources: Resources | null;
  utilization: Resources | null;
  fits: boolean | null;
  layers: ILayer[];
  warnings: string[];
  error: string | null;
}

export interface ISnapshot {
  version: 1;
  type: 'snapshot';
  fpgalab: string;
  designs: IDesign[];
}

export interface IExportResult {
  version: 1;
  type: 'export_result';
  request_id: string;
  design: string;
  kind: ExportKind;
  path: string;
  ok: boolean;
  exists: boolean;
  files: string[];
  error: string | null;
}

export interface IErrorMessage {
  version: 1;
  type: 'error';
  message: string;
}

export type KernelMessage = ISnapshot | IExportResult | IErrorMessage;

export interface IExportRequest {
  version: 1;
  type: 'export';
  request_id: string;
  design: string;
  kind: ExportKind;
  path: string;
  overwrite: boolean;
}

/** Why a message was dropped. */
export class ProtocolError extends Error {}

type Json = unknown;

function fail(what: string): never {
  throw new ProtocolError(what);
}

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: Json, what: string, max = 100000): string {
  if (typeof value !== 'string') {
    fail(`${what} must be a string`);
  }
  if (value.length > max) {
    fail(`${what} is longer than ${max} characters`);
  }
  return value;
}

function optionalText(value: Json, what: string): string | null {
  return value === null || value === undefined ? null : text(value, what);
}

function num(value: Json, what: string): number | null {
  if (value === null || value === undefined) {
    return null;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    fail(`${what} must be a finite number or null`);
  }
  return value;
}

function integer(value: Json, what: string): number | null {
  const n = num(value, what);
  if (n !== null && !Number.isInteger(n)) {
    fail(`${what} must be an integer or null`);
  }
  return n;
}

function resources(value: Json, what: string): Resources | null {
  if (value === null || value === undefined) {
    return null;
  }
  if (!isObject(value)) {
    fail(`${what} must be an object`);
  }
  const out = {} as Resources;
  for (const kind of RESOURCES) {
    out[kind] = num(value[kind], `${what}.${kind}`);
  }
  return out;
}

function textList(value: Json, what: string): string[] {
  if (value === undefined) {
    return [];
  }
  if (!Array.isArray(value)) {
    fail(`${what} must be a list`);
  }
  return value.map((item, k) => text(item, `${what}[${k}]`));
}

function parseLayer(value: Json, k: number): ILayer {
  if (!isObject(value)) {
    fail(`layer ${k} must be an object`);
  }
  return {
    name: text(value.name, `layer ${k} name`),
    kind: text(value.kind ?? '', `layer ${k} kind`),
    cycles: integer(value.cycles, `layer ${k} cycles`),
    resources: resources(value.resources, `layer ${k} resources`)
  };
}

export function parseDesign(value: Json, k = 0): IDesign {
  if (!isObject(value)) {
    fail(`design ${k} must be an object`);
  }
  const name = text(value.name, `design ${k} name`, 1000);
  if (name.length === 0) {
    fail(`design ${k} has an empty name`);
  }
  const where = `design ${JSON.stringify(name)}`;
  const options: Record<string, string> = {};
  if (value.options !== undefined) {
    if (!isObject(value.options)) {
      fail(`${where} options must be an object`);
    }
    for (const [key, item] of Object.entries(value.options)) {
      options[key] = text(item, `${where} option ${key}`);
    }
  }
  const fits = value.fits;
  if (fits !== null && fits !== undefined && typeof fits !== 'boolean') {
    fail(`${where} fits must be a boolean or null`);
  }
  const layers = value.layers ?? [];
  if (!Array.isArray(layers)) {
    fail(`${where} layers must be a list`);
  }
  return {
    name,
    device: text(value.device, `${where} device`),
    clock_mhz: num(value.clock_mhz, `${where} clock_mhz`),
    precision: text(value.precision, `${where} precision`),
    source: text(value.source ?? '', `${where} source`),
    cell_id: optionalText(value.cell_id, `${where} cell_id`),
    execution_count: integer(value.execution_count, `${where} execution_count`),
    compiled_at: text(value.compiled_at, `${where} compiled_at`),
    options,
    cycles: integer(value.cycles, `${where} cycles`),
    interval: integer(value.interval, `${where} interval`),
    latency_us: num(value.latency_us, `${where} latency_us`),
    throughput: num(value.throughput, `${where} throughput`),
    resources: resources(value.resources, `${where} resources`),
    utilization: resources(value.utilization, `${where} utilization`),
    fits: (fits ?? null) as boolean | null,
    layers: layers.map(parseLayer),
    warnings: textList(value.warnings, `${where} warnings`),
    error: optionalText(value.error, `${where} error`)
  };
}

function parseSnapshot(data: Record<string, Json>): ISnapshot {
  if (!Array.isArray(data.designs)) {
    fail('snapshot designs must be a list');
  }
  const designs = data.designs.map(parseDesign);
  const names = new Set<string>();
  for (const design of designs) {
    if (names.has(design.name)) {
      fail(`design ${JSON.stringify(design.name)} appears twice`);
    }
    names.add(design.name);
  }
  return {
    version: VERSION,
    type: 'snapshot',
    fpgalab: text(data.fpgalab ?? '', 'fpgalab version', 100),
    designs
  };
}

function parseExportResult(data: Record<string, Json>): IExportResult {
  const kind = data.kind;
  if (!EXPORT_KINDS.includes(kind as ExportKind)) {
    fail('export_result kind is not one of hls, llvm, verilog, hls4ml');
  }
  for (const key of ['ok', 'exists']) {
    if (typeof data[key] !== 'boolean') {
      fail(`export_result ${key} must be a boolean`);
    }
  }
  return {
    version: VERSION,
    type: 'export_result',
    request_id: text(data.request_id, 'request_id', 64),
    design: text(data.design, 'export_result design'),
    kind: kind as ExportKind,
    path: text(data.path, 'export_result path', 4096),
    ok: data.ok as boolean,
    exists: data.exists as boolean,
    files: textList(data.files, 'export_result files'),
    error: optionalText(data.error, 'export_result error')
  };
}

/** Check a comm message from the kernel; throws ProtocolError if it does not follow version 1. */
export function parseKernelMessage(data: Json): KernelMessage {
  if (!isObject(data)) {
    fail('a message must be an object');
  }
  if (data.version !== VERSION) {
    fail(`unsupported protocol version ${JSON.stringify(data.version)} (this panel speaks ${VERSION})`);
  }
  switch (data.type) {
    case 'snapshot':
      return parseSnapshot(data);
    case 'export_result':
      return parseExportResult(data);
    case 'error':
      return { version: VERSION, type: 'error', message: text(data.message, 'error message', 10000) };
    default:
      return fail(`unknown message type ${JSON.stringify(data.type)}`);
  }
}

export function hello(): { version: 1; type: 'hello'; client: string } {
  return { version: VERSION, type: 'hello', client: 'fpgalab-panel' };
}

export function refresh(): { version: 1; type: 'refresh' } {
  return { version: VERSION, type: 'refresh' };
}

/** A default export folder for a design, relative to the notebook's folder. */
export function defaultExportPath(design: string, kind: ExportKind): string {
  const safe = design.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^_+|_+$/g, '') || 'design';
  return `exports/${safe}_${kind}`;
}

/**
 * The panel's own check of an export folder (the kernel checks again, and resolves symlinks):
 * relative, no `..`, no absolute or home paths. Returns the reason it is refused, or null.
 */
export function exportPathProblem(path: string): string | null {
  if (path.trim() === '' || path !== path.trim()) {
    return 'Give a folder relative to the notebook, without leading or trailing spaces.';
  }
  if (path.startsWith('/') || path.startsWith('\\') || path.startsWith('~') || /^[A-Za-z]:/.test(path)) {
    return 'The folder must be relative to the notebook, not absolute.';
  }
  if (path.split(/[\\/]+/).includes('..')) {
    return 'The folder must stay inside the notebook\u2019s folder (no "..").';
  }
  if (path.split(/[\\/]+/).every(part => part === '' || part === '.')) {
    return 'Give a folder inside the notebook\u2019s folder.';
  }
  return null;
}

export function exportRequest(
  requestId: string,
  design: string,
  kind: ExportKind,
  path: string,
  overwrite: boolean
): IExportRequest {
  return { version: VERSION, type: 'export', request_id: requestId, design, kind, path, overwrite };
}
