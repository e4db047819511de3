/** Designs and messages as the kernel side (fpgalab/magics/comm.py) sends them. */

export function designData(name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    device: 'xcvu9p',
    clock_mhz: 200,
    precision: 'ap_fixed<16,6>',
    source: 'keras model mlp',
    cell_id: `cell-${name}`,
    execution_count: 3,
    compiled_at: '2025-01-02T10:20:30+00:00',
    options: { unroll: '1', reuse: 'None', pipeline: 'True' },
    cycles: 120,
    interval: 64,
    latency_us: 0.6,
    throughput: 3125000,
    resources: { lut: 12000, ff: 9000, dsp: 64, bram: 8, uram: 0 },
    utilization: { lut: 0.01, ff: 0.004, dsp: 0.0094, bram: 0.002, uram: 0 },
    fits: true,
    layers: [
      { name: 'dense', kind: 'dot', cycles: 70, resources: { lut: 8000, ff: 6000, dsp: 64, bram: 8, uram: 0 } },
      { name: 'relu', kind: 'map', cycles: 50, resources: { lut: 4000, ff: 3000, dsp: 0, bram: 0, uram: 0 } }
    ],
    warnings: [],
    error: null,
    ...overrides
  };
}

export function snapshotData(designs: Record<string, unknown>[]): Record<string, unknown> {
  return { version: 1, type: 'snapshot', fpgalab: '0.1.0', designs };
}
