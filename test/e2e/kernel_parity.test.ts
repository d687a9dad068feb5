import { expect, it } from 'vitest';
import * as lib from '../../ts/index.js';
import { GEMM_SHAPES, kernelParity, variantsHere } from './kernel_parity.js';

// The browsers' parity run (test/e2e/pages.e2e.test.ts) on Node's engine: the same cases must
// pass here, and they must compare something on every build.
it('the in-browser kernel parity run passes on every WASM build of this engine and compares every case', async () => {
  const reports = await kernelParity(lib);
  expect(reports.map((r) => r.variant)).toEqual(variantsHere(lib));
  for (const r of reports) {
    expect(r.failures, r.variant).toEqual([]);
    expect(r.compared, r.variant).toBeGreaterThan(3 * GEMM_SHAPES.length + 80); // 143 outputs on 2026-12-06;
  }
}, 60_000);
