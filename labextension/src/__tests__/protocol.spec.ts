import {
  ProtocolError,
  defaultExportPath,
  exportPathProblem,
  exportRequest,
  parseKernelMessage
} from '../protocol';
import { designData, snapshotData } from './fixtures';

describe('parseKernelMessage', () => {
  it('accepts a snapshot and keeps every figure', () => {
    const message = parseKernelMessage(snapshotData([designData('mlp'), designData('mlp_fast', { cycles: 60 })]));
    expect(message.type).toBe('snapshot');
    if (message.type !== 'snapshot') {
      return;
    }
    expect(message.designs.map(d => d.name)).toEqual(['mlp', 'mlp_fast']);
    expect(message.designs[1].cycles).toBe(60);
    expect(message.designs[0].utilization?.dsp).toBeCloseTo(0.0094);
    expect(message.designs[0].layers[0].resources?.dsp).toBe(64);
  });

  it('accepts a design without figures (a report that failed) with its error', () => {
    const message = parseKernelMessage(
      snapshotData([
        designData('broken', {
          cycles: null, interval: null, latency_us: null, throughput: null,
          resources: null, utilization: null, fits: null, layers: [], error: 'KeyError: no cost model'
        })
      ])
    );
    expect(message.type === 'snapshot' && message.designs[0].error).toBe('KeyError: no cost model');
  });

  const bad: [string, unknown][] = [
    ['not an object', 'hello'],
    ['null', null],
    ['a list', [1, 2]],
    ['no version', { type: 'snapshot', designs: [] }],
    ['another version', { version: 2, type: 'snapshot', designs: [] }],
    ['a version as text', { version: '1', type: 'snapshot', designs: [] }],
    ['an unknown type', { version: 1, type: 'surprise' }],
    ['designs not a list', { version: 1, type: 'snapshot', designs: {} }],
    ['a design not an object', snapshotData(['mlp'] as any)],
    ['a name that is a number', snapshotData([designData('x', { name: 42 })])],
    ['an empty name', snapshotData([designData('')])],
    ['cycles as text', snapshotData([designData('x', { cycles: '120' })])],
    ['fractional cycles', snapshotData([designData('x', { cycles: 1.5 })])],
    ['infinite latency', snapshotData([designData('x', { latency_us: Infinity })])],
    ['utilization as text', snapshotData([designData('x', { utilization: { lut: '1%' } })])],
    ['fits as text', snapshotData([designData('x', { fits: 'yes' })])],
    ['a repeated name', snapshotData([designData('x'), designData('x')])],
    ['one bad design among good ones', snapshotData([designData('a'), designData('b', { device: null })])],
    ['an option that is not text', snapshotData([designData('x', { options: { unroll: 4 } })])],
    ['a layer without a name', snapshotData([designData('x', { layers: [{ cycles: 3 }] })])],
    ['an export result without ok', { version: 1, type: 'export_result', request_id: 'e1', design: 'x', kind: 'hls', path: 'p', exists: false }],
    ['an export result of an unknown kind', { version: 1, type: 'export_result', request_id: 'e1', design: 'x', kind: 'vhdl', path: 'p', ok: true, exists: false }],
    ['an error without message', { version: 1, type: 'error' }]
  ];
  it.each(bad)('drops %s whole', (_, data) => {
    expect(() => parseKernelMessage(data)).toThrow(ProtocolError);
  });

  it('accepts an export result and an error', () => {
    const result = parseKernelMessage({
      version: 1, type: 'export_result', request_id: 'e1', design: 'mlp', kind: 'verilog',
      path: 'exports/mlp_verilog', ok: true, exists: false, files: ['mlp.v'], error: null
    });
    expect(result).toMatchObject({ type: 'export_result', ok: true, files: ['mlp.v'] });
    expect(parseKernelMessage({ version: 1, type: 'error', message: 'nope' })).toMatchObject({ message: 'nope' });
  });
});

describe('export paths', () => {
  it('makes a safe default folder from any name', () => {
    expect(defaultExportPath('mlp', 'hls')).toBe('exports/mlp_hls');
    expect(defaultExportPath('../../etc/<b>', 'verilog')).toBe('exports/etc_b_verilog');
    expect(defaultExportPath('...', 'hls')).toBe('exports/design_hls');
    expect(exportPathProblem(defaultExportPath('../../x', 'llvm'))).toBeNull();
  });

  it.each(['/etc/x', '~/x', 'C:/x', '\\\\server\\x', '../x', 'a/../../x', 'a\\..\\x', '', ' x', '.', './'])(
    'refuses %j',
    path => {
      expect(exportPathProblem(path)).not.toBeNull();
    }
  );

  it.each(['exports/mlp_hls', 'out', './out/v1', 'a b/c'])('accepts %j', path => {
    expect(exportPathProblem(path)).toBeNull();
  });

  it('builds version 1 requests', () => {
    expect(exportRequest('e1', 'mlp', 'hls', 'exports/x', false)).toEqual({
      version: 1, type: 'export', request_id: 'e1', design: 'mlp', kind: 'hls', path: 'exports/x', overwrite: false
    });
  });
});
