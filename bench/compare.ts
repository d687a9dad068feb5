/**
 * Before and after in one process: every kernel of bench/kernels.ts and the three training steps on
 * an older checkout's WASM build and on this one, interleaved round by round, and the ratio of each
 * row (before ÷ after: above 1 is faster now). The older checkout is any directory holding the
 * repository's ts/ with its ts/wasm/generated/ builds (e.g. `git archive <commit> | tar -x -C dir`,
 * then copy ts/wasm/generated/ from a build of that commit).
 *
 * Usage: node --import tsx bench/compare.ts <older checkout> [--variant simd128|relaxed-simd] [--quick]
 * Pin it (taskset -c N) as npm run bench is pinned. Writes nothing; prints the table.
 */
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as lib from '../ts/index.js';
import { createBackend, type Backend, type WasmVariant } from '../ts/index.js';
import type { Contenders } from './contenders.js';
import { benchKernels } from './kernels.js';
import { describeMachine } from './machine.js';
import { NETS } from './train.js';
import { seededLabels, seededValues, timeInterleaved } from './util.js';

const args = process.argv.slice(2);
const base = args.find((a) => !a.startsWith('--'));
if (!base) throw new Error('bench/compare: expected the path of an older checkout, e.g. node --import tsx bench/compare.ts /tmp/base');
const vi = args.indexOf('--variant');
const variant = (vi >= 0 ? args[vi + 1] : 'simd128') as WasmVariant;
const timing = args.includes('--quick') ? { rounds: 3, minSampleMs: 1, warmupMs: 10 } : { rounds: 15, minSampleMs: 4, warmupMs: 50 };

type Lib = typeof lib;
const older = (await import(pathToFileURL(resolve(base, 'ts', 'index.ts')).href)) as Lib;
const before = (await older.createBackend('wasm', { variant })) as unknown as Backend;
const after = await createBackend('wasm', { variant });
const names = new Map<Backend, string>([
  [before, 'before'],
  [after, 'after'],
]);
const c: Contenders = { ours: [before, after], tfjs: [], skipped: [], numpy: null, label: (b) => names.get(b) ?? b.name };
const load0 = loadavg()[0];
console.log(`[compare] ${describeMachine().cpu}; ${variant}; before: ${resolve(base)}, after: this checkout; load ${load0.toFixed(2)}`);
const rows: { what: string; before: number; after: number }[] = [];
// The training steps, each with its own library's nets and optimizers (as bench/train.ts and conv.ts make them).
const mlp = (L: Lib, b: Backend, sizes: number[], batch: number) => {
  const net = L.Sequential.mlp(b, sizes, { seed: 1 });
  const x = b.tensor(
    seededValues(batch * sizes[0], 20).map((v) => (v + 1) / 2),
    [batch, sizes[0]],
  );
  const t = b.tensor(seededLabels(batch, sizes[sizes.length - 1], 21), [batch]);
  const sgd = new L.SGD({ lr: 0.01 });
  return () => sgd.update(net.params, net.gradient(x, t));
};
const cnn = (L: Lib, b: Backend) => {
  const net = new L.SimpleConvNet(b, { weightInitStd: 'he', seed: 1 });
  const x = b.tensor(
    seededValues(100 * 784, 40).map((v) => (v + 1) / 2),
    [100, 1, 28, 28],
  );
  const t = b.tensor(seededLabels(100, 10, 41), [100]);
  const adam = new L.Adam({ lr: 0.001 });
  return () => adam.update(net.params, net.gradient(x, t));
};
const steps: [string, (L: Lib, b: Backend) => () => unknown][] = [
  ...NETS.map(
    ({ sizes, batch }) =>
      [`step ${sizes.join('→')}, batch ${batch}`, (L: Lib, b: Backend) => mlp(L, b, sizes, batch)] as [
        string,
        (L: Lib, b: Backend) => () => unknown,
      ],
  ),
  ['step SimpleConvNet (Adam), batch 100', cnn],
];
for (const [what, make] of steps) {
  const us = timeInterleaved(
    [
      { name: 'before', run: make(older, before) },
      { name: 'after', run: make(lib, after) },
    ],
    { ...timing, minSampleMs: Math.max(timing.minSampleMs, 20) },
  );
  rows.push({ what, before: us.get('before')!, after: us.get('after')! });
  console.log(`  ${what}: before ${us.get('before')!.toFixed(1)} µs, after ${us.get('after')!.toFixed(1)} µs`);
}
for (const k of benchKernels(c, timing)) {
  if (k.us.before !== undefined && k.us.after !== undefined)
    rows.push({ what: `${k.kernel} ${k.shape}`, before: k.us.before, after: k.us.after });
}
console.log(
  `\n| row | before µs | after µs | before ÷ after |\n|---|---:|---:|---:|\n${rows
    .map((r) => `| ${r.what} | ${r.before.toFixed(1)} | ${r.after.toFixed(1)} | ${(r.before / r.after).toFixed(2)} |`)
    .join('\n')}`,
);
console.log(
  `\n${variant}, medians of ${timing.rounds} interleaved rounds; load average ${load0.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after; ${new Date().toISOString()}`,
);
