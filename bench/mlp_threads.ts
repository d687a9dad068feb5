/**
 * The MLP steps on two threads against numpy on one (issue 22: "on 2 threads, beat numpy's one
 * thread on both MLPs, same work"): our SIMD128 build on 1 and 2 threads and numpy (the book's
 * layers, float32, with and without the first layer's dx; bench/numpy_book.py pinned to one CPU,
 * one BLAS thread) in interleaved rounds, each row with the load it ran under. Not pinned itself:
 * the workers need both cores. Writes bench/results/mlp_threads.{json,md}.
 *
 * Usage: node --import tsx bench/mlp_threads.ts [--quick]   (npm run bench runs it after bench/threads.ts)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBackend } from '../ts/index.js';
import { describeMachine } from './machine.js';
import { numpyName, startNumpy } from './numpy.js';
import { mlpStep } from './steps.js';
import { NETS } from './train.js';
import { sinkTotal, timeInterleavedWith, type Contender, type ExternalContender, type RowLoad } from './util.js';

const quick = process.argv.includes('--quick');
// The warm-up lets the governor settle, as in bench/threads.ts (ts/wasm/governor.ts looks at the
// other way after 4, 8, 16 windows): with 100 ms it priced its first window, JIT warm-up included,
// against the next, ran on one thread for seconds, and this bench measured 2 threads at 1.04× one.
const timing = quick ? { rounds: 3, minSampleMs: 5, warmupMs: 500 } : { rounds: 15, minSampleMs: 20, warmupMs: 1500 };
const machine = describeMachine();
const one = await createBackend('wasm', { variant: 'simd128' });
const two = await createBackend('wasm', { threads: 2 });
const threads = two.threads; // read before dispose()
const np = await startNumpy({ cpu: cpus().length - 1 });
const skipped = 'skipped' in np ? np.skipped : null;
if (skipped) console.log(`[bench/mlp_threads] ${skipped}`);
if (threads !== 2) console.log(`[bench/mlp_threads] 2 threads unavailable: ${two.threadsUnavailable}`);

interface Row {
  net: string;
  batch: number;
  ms: Record<string, number>;
  load: RowLoad;
}
const rows: Row[] = [];
for (const { sizes, batch } of NETS) {
  const ours: Contender[] = [
    { name: 'wasm-simd128, 1 thread', run: mlpStep(sizes, batch)(one) },
    { name: `wasm-simd128, ${threads} threads`, run: mlpStep(sizes, batch)(two) },
  ];
  const theirs: ExternalContender[] = [];
  if (!('skipped' in np)) {
    for (const work of ['book', 'same'] as const) {
      const id = await np.make(sizes.join('-') as never, 'f32', work);
      theirs.push({ name: numpyName('f32', work), sample: (n) => np.run(id, n) });
    }
  }
  const { us, load } = await timeInterleavedWith([...ours, ...theirs], timing);
  const ms = Object.fromEntries([...us].map(([k, v]) => [k, v / 1000]));
  rows.push({ net: sizes.join('→'), batch, ms, load });
  console.log(
    `  ${sizes.join('→').padEnd(16)} batch ${batch}  ${Object.entries(ms)
      .map(([k, v]) => `${k} ${v.toFixed(3)}ms`)
      .join('  ')}  (load ${load.loadAverage.toFixed(2)}, other processes ${load.otherCores?.toFixed(2) ?? '?'} cores)`,
  );
}
if (!('skipped' in np)) np.close();
one.dispose();
two.dispose();

const cols = [...new Set(rows.flatMap((r) => Object.keys(r.ms)))];
const twoName = `wasm-simd128, ${threads} threads`;
const md = [
  `Measured ${machine.date.slice(0, 10)} on ${machine.cpu}, ${machine.logicalCores} logical cores, Node ${machine.node}; not pinned (numpy's child pinned to CPU ${cpus().length - 1}, one BLAS thread); medians of ${timing.rounds} interleaved rounds; load average ${loadavg()[0].toFixed(2)} at the end.${skipped ? ` ${skipped}.` : ''}`,
  '',
  `| net | batch | ${cols.join(' | ')} | numpy f32 same work ÷ ours on ${threads} threads | load |`,
  `|---|---:|${cols.map(() => '---:').join('|')}|---:|---|`,
  ...rows.map((r) => {
    const same = r.ms[numpyName('f32', 'same')];
    return `| ${r.net} | ${r.batch} | ${cols.map((c) => (r.ms[c] === undefined ? '–' : r.ms[c].toFixed(3))).join(' | ')} | ${same === undefined ? '–' : `${(same / r.ms[twoName]).toFixed(2)}×`} | ${r.load.loadAverage.toFixed(2)}; others ${r.load.otherCores?.toFixed(2) ?? '?'} cores |`;
  }),
  '',
  `Issue 22's target: on ${threads} threads, beat numpy's one thread doing the same work (the last ratio above 1). "Others": the cores other processes kept busy while the row ran, numpy's child not counted.`,
].join('\n');
const outDir = join(dirname(fileURLToPath(import.meta.url)), 'results');
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'mlp_threads.json'), `${JSON.stringify({ machine, threads, rows }, null, 2)}\n`);
writeFileSync(join(outDir, 'mlp_threads.md'), `${md}\n`);
console.log(`\n${md}\n[bench/mlp_threads] wrote bench/results/mlp_threads.{json,md} (sink ${sinkTotal().toFixed(3)})`);
