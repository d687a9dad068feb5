/**
 * `npm run bench`: every kernel and whole training steps on our backends (each WASM variant this
 * engine runs, and pure TS) and on TensorFlow.js (`cpu`, `wasm`), interleaved in one process;
 * writes bench/results/latest.json and latest.md (dated, with the machine). The training steps
 * also run in numpy with the book's layers (float32 and float64; bench/numpy_book.py in a child
 * process on the same core, one BLAS thread), interleaved with ours, each row with the load it
 * ran under. Options: `--quick` (fewer rounds, for a smoke run), `--steps N` (training steps of
 * the memory check, default 1000), `--no-numpy`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeContenders } from './contenders.js';
import { benchConvTraining } from './conv.js';
import { benchKernels } from './kernels.js';
import { describeMachine } from './machine.js';
import { benchMemory } from './memory.js';
import { computeTargets, markdown, type Results } from './report.js';
import { benchTraining } from './train.js';
import { sinkTotal } from './util.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const stepsArg = args.indexOf('--steps');
const steps = stepsArg >= 0 ? Number(args[stepsArg + 1]) : 1000;
if (!Number.isInteger(steps) || steps < 2) throw new Error(`bench: expected --steps to be an integer ≥ 2, got ${args[stepsArg + 1]}`);
const timing = quick ? { rounds: 3, minSampleMs: 1, warmupMs: 10 } : { rounds: 15, minSampleMs: 4, warmupMs: 50 };

const machine = describeMachine();
console.log(
  `[bench] ${machine.cpu}; Node ${machine.node}; pinned to CPU ${machine.affinity}${machine.execArgv.length ? `; ${machine.execArgv.join(' ')}` : ''}`,
);
const contenders = await makeContenders({ numpy: !args.includes('--no-numpy') });
console.log(
  `[bench] ours: ${contenders.ours.map((b) => b.name).join(', ')}; TensorFlow.js: ${contenders.tfjs.join(', ')}; numpy: ${contenders.numpy ? `${contenders.numpy.version} (the book's layers, one BLAS thread, child process on CPU ${contenders.numpy.cpus})` : 'not measured'}`,
);
for (const s of contenders.skipped) console.log(`[bench] skipped ${s}`);

console.log('[bench] training steps');
const training = [...(await benchTraining(contenders, timing)), await benchConvTraining(contenders, timing)];
contenders.numpy?.close();
console.log('[bench] kernels');
const kernels = benchKernels(contenders, timing);
console.log(`[bench] memory over ${steps} training steps`);
const memory = await benchMemory(contenders, steps);

const outDir = join(dirname(fileURLToPath(import.meta.url)), 'results');
const results: Results = {
  machine,
  rounds: timing.rounds,
  skipped: contenders.skipped,
  kernels,
  training,
  memory,
  numpy: contenders.numpy ? { version: contenders.numpy.version, cpus: contenders.numpy.cpus } : null,
  targets: computeTargets(kernels, training, memory),
};
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
const md = markdown(results);
writeFileSync(join(outDir, 'latest.md'), md);
console.log(`\n${md}`);
console.log(`[bench] wrote bench/results/latest.json and latest.md (sink ${sinkTotal().toFixed(3)})`);
