/**
 * The MNIST trainer on the command line: `npm run mnist -- [options]` (see `--help`, or
 * demo/cli_args.ts). A progress bar per epoch (loss, accuracy, steps/s), one summary line per
 * epoch, a final report; `--json` prints one summary object on stdout; `--compare` trains the
 * same seeded net on both backends and prints the speed-up.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createBackend, saveModel, type Backend } from '../ts/index.js';
import { chapter6Options, describeMnistNet, loadMnistModel, netSizes, type MnistModel } from './mnist_model.js';
import { parseCli, USAGE, type CliOptions } from './cli_args.js';
import { checkSavePath } from './save_path.js';
import { governed, progressLine } from './cli_progress.js';
import { loadDefaultMnist, loadIdxMnist } from './mnist_data.js';
import type { Digits } from './mnist_format.js';
import { augmentationWords, type ModelKind } from './recipes.js';
import { Trainer, TrainingDivergedError } from './trainer.js';

interface EpochReport {
  epoch: number;
  loss: number;
  trainAccuracy: number;
  testAccuracy: number;
  msPerStep: number;
}

export interface RunSummary {
  backend: string;
  variant: string | null;
  /** Threads the kernels ran on, and why not more when more were asked (else null). */
  threads: number;
  threadsUnavailable: string | null;
  model: ModelKind;
  sizes: number[];
  /** 'constant' or 'cosine' (the learning rate over the run). */
  lrSchedule: string;
  optimizer: string;
  lr: number;
  batch: number;
  init: string | number;
  seed: number;
  /** Chapter-6 options: dropout ratio (0: none), batch normalization, weight decay λ (0: none). */
  dropout: number;
  batchnorm: boolean;
  weightDecay: number;
  epochs: number;
  steps: number;
  data: string;
  trainCount: number;
  testCount: number;
  /** The last epoch's mean loss, and the speed; null with --epochs 0 (evaluation only). */
  loss: number | null;
  trainAccuracy: number;
  testAccuracy: number;
  msPerStep: number | null;
  stepsPerSecond: number | null;
  trainSeconds: number;
  wallSeconds: number;
  history: EpochReport[];
  /** The model file the run started from (--load), or null. */
  loaded: { path: string; sizes: number[]; optimizer: string | null } | null;
  /** Where the trained model was saved (--save), or null. */
  saved: { path: string; bytes: number } | null;
}

// `npm run mnist | head` closes the pipe early: stop quietly instead of crashing with EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

async function main(): Promise<void> {
  let options: CliOptions;
  try {
    options = parseCli(process.argv.slice(2));
    if (options.save) checkSavePath(options.save); // before training, which it would otherwise lose
  } catch (e) {
    console.error(`mnist: ${(e as Error).message}`);
    process.exit(2);
  }
  if (options.help) {
    console.log(USAGE);
    return;
  }
  // With --json, stdout carries only the summary object; people still see progress on stderr.
  const log = options.json ? (s: string) => process.stderr.write(`${s}\n`) : (s: string) => process.stdout.write(`${s}\n`);
  const { data, source } = options.data
    ? { data: loadIdxMnist(options.data), source: `the IDX files in ${options.data}` }
    : loadDefaultMnist();
  if (options.config.batch > data.train.count) {
    console.error(`mnist: --batch: expected 1 to ${data.train.count} (the training digits), found ${options.config.batch}`);
    process.exit(2);
  }
  const summaries: RunSummary[] = [];
  if (!options.compare) {
    summaries.push(await run(await createCliBackend(options.backend, options.threads), data, source, options, log));
  } else {
    // The threaded backend first, to learn how many threads run; with more than one, the 1-thread
    // run uses the same SIMD128 build, so the two differ in threads only (and agree bitwise).
    const threaded = await createCliBackend('wasm', options.threads);
    const many = threaded.threads > 1;
    const plan = many
      ? `on wasm at 1 thread, at ${threaded.threads} threads, then on ts`
      : `on wasm then on ts (wasm on one thread${threaded.threadsUnavailable ? `: more are unavailable: ${threaded.threadsUnavailable}` : ''})`;
    log(
      `compare: training the same seeded net ${many ? 'three times' : 'twice'}, ${plan} (${options.epochs} epoch${options.epochs === 1 ? '' : 's'} each); each run prints its estimated time once it has measured its speed`,
    );
    if (many) summaries.push(await run(await createBackend('wasm', { variant: 'simd128', threads: 1 }), data, source, options, log));
    summaries.push(await run(threaded, data, source, options, log));
    summaries.push(await run(await createBackend('ts'), data, source, options, log));
    const [wasm, ts] = [summaries[0], summaries[summaries.length - 1]];
    const same = wasm.testAccuracy === ts.testAccuracy ? 'the same' : `${wasm.testAccuracy.toFixed(4)} vs ${ts.testAccuracy.toFixed(4)}`;
    if (many) {
      const n = summaries[1];
      const bitwise =
        n.loss === wasm.loss && n.testAccuracy === wasm.testAccuracy
          ? 'the same loss and accuracy, bit for bit'
          : `loss ${wasm.loss} vs ${n.loss}: NOT the same`;
      log(
        `compare: ${wasm.backend} 1 thread ${wasm.msPerStep!.toFixed(3)} ms/step vs ${n.threads} threads ${n.msPerStep!.toFixed(3)} ms/step → ${faster(wasm.msPerStep! / n.msPerStep!)} on ${n.threads} threads (${bitwise})`,
      );
    }
    log(
      `compare: ${wasm.backend}${many ? ' 1 thread' : ''} ${wasm.msPerStep!.toFixed(3)} ms/step vs ${ts.backend} ${ts.msPerStep!.toFixed(3)} ms/step → ${faster(ts.msPerStep! / wasm.msPerStep!)} on WASM (test accuracy ${same})`,
    );
  }
  if (options.json) {
    // speedup: WASM over TS, one thread each; threadSpeedup: N threads over 1 (null without a threaded run)
    const [first, last] = [summaries[0], summaries[summaries.length - 1]];
    const threadSpeedup = summaries.length === 3 ? first.msPerStep! / summaries[1].msPerStep! : null;
    const out = options.compare ? { runs: summaries, speedup: last.msPerStep! / first.msPerStep!, threadSpeedup } : summaries[0];
    process.stdout.write(`${JSON.stringify(out)}\n`);
  }
}

/** "1.52× faster", or "1.26× slower" for a ratio below 1 (threads on a machine whose cores are busy). */
function faster(ratio: number): string {
  return ratio >= 1 ? `${ratio.toFixed(2)}× faster` : `${(1 / ratio).toFixed(2)}× slower`;
}

/** The backend a run trains on: WASM on the asked threads (falling back to one, with a reason), or TS. */
function createCliBackend(kind: 'wasm' | 'ts', threads: 'auto' | number): Promise<Backend> {
  return kind === 'wasm' ? createBackend('wasm', { threads }) : createBackend('ts');
}

/** "2 threads", "1 thread", or "1 thread; more are unavailable: <why>" where more were asked. */
function threadsNote(backend: Backend): string {
  const count = `${backend.threads} thread${backend.threads === 1 ? '' : 's'}`;
  return backend.threadsUnavailable ? `${count}; more are unavailable: ${backend.threadsUnavailable}` : count;
}

async function run(
  backend: Backend,
  data: { train: Digits; test: Digits },
  source: string,
  options: CliOptions,
  log: (s: string) => void,
): Promise<RunSummary> {
  const { config, epochs } = options;
  const wallStart = performance.now();
  const model = options.load ? loadModelFile(backend, options.load, config.model ?? 'mlp') : undefined;
  const trainer = new Trainer(backend, data, config, model);
  const sizes = netSizes(trainer.net);
  // A loaded optimizer (with its state) goes on as saved; otherwise --optimizer and --lr make one.
  const optimizer = model?.optimizerName ?? config.optimizer;
  const lr = trainer.startLr;
  const schedule =
    config.lrSchedule && config.lrSchedule !== 'constant' ? ` (${config.lrSchedule} over ${epochs} epoch${epochs === 1 ? '' : 's'})` : '';
  const what = describeMnistNet(trainer.net);
  const augmented = augmentationWords(config);
  const augmentation = augmented.length > 0 ? `, augmented (${augmented.join(', ')})` : '';
  // A loaded net was not initialised here: say where its weights (and optimizer state) come from instead of init and seed.
  const origin = model
    ? `${what} from ${options.load}, ${optimizer} lr ${lr}${schedule}${model.optimizer ? ' (the saved optimizer and its state)' : ''}, batch ${config.batch}${augmentation}, seed ${config.seed} (shuffling only: the weights are the file's)`
    : `${what}, ${optimizer} lr ${lr}${schedule}, batch ${config.batch}${augmentation}, init ${config.init}, seed ${config.seed}`;
  const threads = backend.kind === 'wasm' ? ` (${threadsNote(backend)})` : '';
  const who = backend.threads > 1 ? `${backend.name}, ${backend.threads} threads` : backend.name; // tells --compare's two WASM runs apart
  log(`${backend.name}${threads}: ${origin}; ${data.train.count} train / ${data.test.count} test digits from ${source}`);
  const tty = options.json ? process.stderr.isTTY : process.stdout.isTTY;
  const stream = options.json ? process.stderr : process.stdout;
  const history: EpochReport[] = [];
  let trainMs = 0;
  let estimated = !options.compare; // with --compare, say how long each run will take
  for (let epoch = 1; epoch <= epochs; epoch++) {
    let lossSum = 0;
    let soloSteps = 0;
    const start = performance.now();
    for (let s = 0; s < trainer.stepsPerEpoch; s++) {
      try {
        lossSum += trainer.step();
        if (backend.threadsInUse < backend.threads) soloSteps++;
      } catch (e) {
        if (tty) stream.write('\n'); // end the progress bar's line before main() prints the error
        trainer.dispose();
        throw e;
      }
      const elapsed = performance.now() - start;
      if (!estimated && (elapsed > 1000 || s === trainer.stepsPerEpoch - 1)) {
        estimated = true;
        const seconds = ((elapsed / (s + 1)) * trainer.stepsPerEpoch * epochs) / 1000;
        if (tty) stream.write('\r\x1b[2K');
        log(
          `${who}: about ${seconds.toFixed(0)} s for ${epochs} epoch${epochs === 1 ? '' : 's'} (${((s + 1) / (elapsed / 1000)).toFixed(0)} steps/s)`,
        );
      }
      if (tty && (s % 10 === 9 || s === trainer.stepsPerEpoch - 1)) {
        const progress = {
          epoch,
          epochs,
          done: s + 1,
          total: trainer.stepsPerEpoch,
          loss: lossSum / (s + 1),
          stepsPerSecond: (s + 1) / (elapsed / 1000),
        };
        stream.write(`\r${progressLine(progress, stream.columns)}`);
      }
    }
    const ms = performance.now() - start;
    trainMs += ms;
    const { trainAccuracy, testAccuracy } = trainer.evaluate();
    const report = { epoch, loss: lossSum / trainer.stepsPerEpoch, trainAccuracy, testAccuracy, msPerStep: ms / trainer.stepsPerEpoch };
    history.push(report);
    const line = `epoch ${String(epoch).padStart(String(epochs).length)}/${epochs}  loss ${report.loss.toFixed(4)}  train acc ${trainAccuracy.toFixed(4)}  test acc ${testAccuracy.toFixed(4)}  ${(1000 / report.msPerStep).toFixed(0)} steps/s (${report.msPerStep.toFixed(2)} ms/step)${governed(backend.threads, soloSteps, trainer.stepsPerEpoch)}`;
    if (tty) stream.write('\r\x1b[2K');
    log(line);
  }
  // --epochs 0: evaluate the (loaded) net only.
  const last = history[history.length - 1] ?? { loss: null, ...trainer.evaluate() };
  const steps = trainer.steps;
  let saved: RunSummary['saved'] = null;
  if (options.save) {
    const bytes = saveModel(trainer.net, { optimizer: trainer.optimizer });
    try {
      writeFileSync(options.save, bytes);
    } catch (e) {
      throw new Error(`--save ${options.save}: ${(e as Error).message}`);
    }
    saved = { path: options.save, bytes: bytes.length };
    log(`saved ${options.save} (${bytes.length} bytes: the net and its ${optimizer} state)`);
  }
  const summary: RunSummary = {
    backend: backend.name,
    variant: backend.kind === 'wasm' ? backend.name.slice('wasm-'.length) : null,
    threads: backend.threads,
    threadsUnavailable: backend.threadsUnavailable ?? null,
    model: trainer.config.model ?? 'mlp',
    sizes,
    optimizer,
    lr,
    lrSchedule: config.lrSchedule ?? 'constant',
    batch: config.batch,
    init: config.init,
    seed: config.seed,
    ...chapter6Options(trainer.net), // the net's own: a loaded file's, not the (refused) options
    epochs,
    steps,
    data: options.data ?? 'embedded',
    trainCount: data.train.count,
    testCount: data.test.count,
    loss: last.loss,
    trainAccuracy: last.trainAccuracy,
    testAccuracy: last.testAccuracy,
    msPerStep: steps > 0 ? trainMs / steps : null,
    stepsPerSecond: steps > 0 ? steps / (trainMs / 1000) : null,
    trainSeconds: trainMs / 1000,
    wallSeconds: (performance.now() - wallStart) / 1000,
    history,
    loaded: model && options.load ? { path: options.load, sizes, optimizer: model.optimizerName } : null,
    saved,
  };
  trainer.dispose();
  backend.dispose(); // ends its worker threads
  const accuracy = `test accuracy ${summary.testAccuracy.toFixed(4)}, train accuracy ${summary.trainAccuracy.toFixed(4)}`;
  if (steps === 0) log(`done (${who}): evaluated only (--epochs 0): ${accuracy}; wall ${summary.wallSeconds.toFixed(2)} s`);
  else
    log(
      `done (${who}): ${accuracy} after ${steps} steps; training ${summary.trainSeconds.toFixed(2)} s (${summary.msPerStep!.toFixed(2)} ms/step, ${summary.stepsPerSecond!.toFixed(0)} steps/s), wall ${summary.wallSeconds.toFixed(2)} s`,
    );
  return summary;
}

/** The model in a file, checked to be the kind of net --model asks for, or an error naming the file. */
function loadModelFile(backend: Backend, path: string, kind: ModelKind): MnistModel {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`--load ${path}: ${(e as Error).message}`);
  }
  const model = loadMnistModel(backend, bytes, `--load ${path}`);
  if (model.kind !== kind) {
    model.net.dispose();
    model.optimizer?.dispose();
    // --model picks the recipe (epochs, optimizer, augmentation) the run goes on with, so it must match the file
    const holds = { mlp: `an MLP (${model.sizes.join('→')})`, cnn: 'a SimpleConvNet', deep: 'a DeepConvNet' }[model.kind];
    throw new Error(
      model.kind === 'mlp'
        ? `--load ${path}: the file holds ${holds}, not a CNN; leave out --model ${kind}`
        : `--load ${path}: the file holds ${holds}; ${kind === 'mlp' ? 'add' : 'use'} --model ${model.kind}`,
    );
  }
  return model;
}

main().catch((e: Error) => {
  console.error(`mnist: ${e.message}`);
  // a diverged run is the user's setting, not a crash: exit 3 so scripts can tell them apart
  process.exit(e instanceof TrainingDivergedError ? 3 : 1);
});
