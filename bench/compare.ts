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
import { createBackend, type Backend, type WasmVariant } from '../ts/index.js';
import { benchConvTraining } from './conv.js';
import type { Contenders } from './contenders.js';
import { benchKernels } from './kernels.js';
import { describeMachine } from './machine.js';
import { benchTraining } from './train.js';

const args = process.argv.slice(2);
const base = args.find((a) => !a.startsWith('--'));
if (!base) throw new Error('bench/compare: expected the path of an older checkout, e.g. node --import tsx bench/compare.ts /tmp/base');
const vi = args.indexOf('--variant');
const variant = (vi >= 0 ? args[vi + 1] : 'simd128') as WasmVariant;
const timing = args.includes('--quick') ? { rounds: 3, minSampleMs: 1, warmupMs: 10 } : { rounds: 15, minSampleMs: 4, warmupMs: 50 };

const older = (await import(pathToFileURL(resolve(base, 'ts', 'index.ts')).href)) as { createBackend: typeof createBackend };
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
for (const t of [...(await benchTraining(c, timing)), await benchConvTraining(c, timing)])
  rows.push({ what: `step ${t.net}, batch ${t.batch}`, before: t.ms.before * 1000, after: t.ms.after * 1000 });
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
