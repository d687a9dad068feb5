/**
 * The page's training loop, in a Web Worker so the page stays responsive: it loads the
 * embedded digits (mnist.bin, served next to the page), trains in slices of about 40 ms and
 * answers messages between slices, so pause and predictions never wait for a whole epoch.
 * Every message it sends carries the run id of the Reset it belongs to (protocol.ts).
 */
// The library's modules directly, not the package entry: the page's bundler then leaves the
// model-file code (re-exported by the entry) out of the worker's first download.
import { createBackend } from '../../ts/backends/create.js';
import { decodeMnist, IMAGE_SIZE, type Digits } from '../mnist_format.js';
import type { MnistModel } from '../mnist_model.js';
import { Trainer } from '../trainer.js';
import { GRID_SIZE, WEIGHT_IMAGES, type FromWorker, type ToWorker } from './protocol.js';
import { mostChangedUnits } from './weights.js';

const SLICE_MS = 40;
/** Evaluate (accuracy, grid predictions, weight pictures) this many times per epoch. */
const EVALS_PER_EPOCH = 2;

let data: { train: Digits; test: Digits } | null = null;
let trainer: Trainer | null = null;
/** The first layer's weights at init, to find the units that learned most (zeros for a loaded net: its init is unknown). */
let initialW1: Float32Array | null = null;
/** Whether the net came from a model file. */
let loadedWeights = false;
let running = false;
let untilStep = 0;
let lastEvalStep = -1;
let run = 0; // the newest Reset's id; a slice or an await from an older run stops
/** Steps/s over at least a second of training (one 40 ms slice is too noisy on a busy machine). */
const speed = { steps: 0, ms: 0, rate: 0 };

type Body = FromWorker extends infer M ? (M extends unknown ? Omit<M, 'run'> : never) : never;
const post = (forRun: number, m: Body, transfer: Transferable[] = []) =>
  (self as unknown as Worker).postMessage({ ...m, run: forRun } as FromWorker, transfer);

async function loadData(): Promise<{ train: Digits; test: Digits }> {
  if (data) return data;
  const response = await fetch(new URL('./mnist.bin', self.location.href));
  if (!response.ok) throw new Error(`mnist.bin: expected HTTP 200, got ${response.status} ${response.statusText}`);
  data = decodeMnist(new Uint8Array(await response.arrayBuffer()), 'mnist.bin');
  return data;
}

/** Test digits spread over all classes (the split is ordered by class). */
function gridIndices(testCount: number): number[] {
  return Array.from({ length: GRID_SIZE }, (_, i) => Math.floor(((i + 0.5) * testCount) / GRID_SIZE));
}

function evaluate(t: Trainer): void {
  const { trainAccuracy, testAccuracy } = t.evaluate();
  const predictions = t.predictTest(gridIndices(t.data.test.count));
  const W1 = t.net.params.W1;
  lastEvalStep = t.steps;
  const base = { type: 'eval', step: t.steps, epoch: t.steps / t.stepsPerEpoch, trainAccuracy, testAccuracy, predictions } as const;
  if (t.config.model !== 'mlp') {
    // the filters themselves, as the book's figure 7-24 shows them
    const filters = t.firstLayerWeights(W1.shape[0]);
    post(run, { ...base, weights: new Float32Array(0), units: [], filters, filterSide: W1.shape[2] }, [filters.buffer]);
    return;
  }
  const { units, weights } = mostChangedUnits(W1.data, initialW1 ?? W1.data, W1.shape[1], WEIGHT_IMAGES);
  post(run, { ...base, weights, units, loadedWeights }, [weights.buffer]);
}

/**
 * A non-finite loss means the learning rate is too high for this net: say that, with the
 * library's own words in brackets (the trainer's "training diverged" message passes as it is).
 */
function explain(e: Error, t: Trainer): string {
  if (/diverged/.test(e.message) || !/NaN|Infinity|non-finite/.test(e.message)) return e.message;
  return `training diverged at step ${t.steps + 1} (${e.message}): lower the learning rate and press Reset`;
}

function slice(forRun: number): void {
  if (!running || !trainer || forRun !== run) return;
  const t = trainer;
  try {
    const evalEvery = Math.max(1, Math.floor(t.stepsPerEpoch / EVALS_PER_EPOCH));
    const start = performance.now();
    let loss = 0,
      steps = 0;
    do {
      loss += t.step();
      steps++;
      if (t.steps % evalEvery === 0) break; // report the evaluation right at its step
    } while (t.steps < untilStep && performance.now() - start < SLICE_MS);
    if (!Number.isFinite(loss)) {
      // (The trainer may also throw its own "training diverged" error: the catch below shows it.)
      running = false;
      post(run, {
        type: 'error',
        message: `training diverged at step ${t.steps} (loss ${loss / steps}): lower the learning rate and press Reset`,
      });
      return;
    }
    speed.steps += steps;
    speed.ms += performance.now() - start;
    if (speed.ms >= 1000 || speed.rate === 0) {
      speed.rate = (speed.steps * 1000) / speed.ms;
      if (speed.ms >= 1000) speed.steps = speed.ms = 0;
    }
    post(run, {
      type: 'progress',
      step: t.steps,
      epoch: t.steps / t.stepsPerEpoch,
      loss: loss / steps,
      stepsPerSecond: speed.rate,
      threadsInUse: t.backend.threadsInUse,
    });
    if (t.steps % evalEvery === 0) evaluate(t);
    if (t.steps >= untilStep) {
      running = false;
      if (lastEvalStep !== t.steps) evaluate(t);
      post(run, { type: 'done', step: t.steps, epoch: t.steps / t.stepsPerEpoch });
      return;
    }
  } catch (e) {
    running = false;
    post(run, { type: 'error', message: explain(e as Error, t) });
    return;
  }
  setTimeout(() => slice(forRun), 0); // lets queued messages (pause, predict) run first
}

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case 'reset': {
      run = m.run;
      running = false;
      lastEvalStep = -1;
      Object.assign(speed, { steps: 0, ms: 0, rate: 0 });
      trainer?.dispose();
      trainer?.backend.dispose(); // ends its worker threads
      trainer = null;
      const d = await loadData();
      // The threads control: 'auto' is all the cores where the page is cross-origin isolated
      // (demo/serve.ts sends COOP/COEP), on which the backend's governor still runs on one thread
      // while the others do not help; elsewhere one thread, and threadsUnavailable says why.
      // One thread runs the SIMD128 build, the one the threads run: the two settings differ in
      // threads only, and train bit for bit alike (auto picks relaxed SIMD where it validates).
      const backend =
        m.backend === 'ts'
          ? await createBackend('ts')
          : await createBackend('wasm', m.threads === 1 ? { variant: 'simd128' } : { threads: 'auto' });
      // Model files are read by a chunk of their own, fetched only when a model is loaded or saved.
      const modelFiles = m.model ? await import('../mnist_model.js') : null;
      if (m.run !== run) {
        backend.dispose(); // a newer Reset came in while this one waited
        return;
      }
      let model: MnistModel | undefined;
      try {
        model = modelFiles && m.model ? modelFiles.loadMnistModel(backend, m.model.bytes, m.model.name) : undefined;
        trainer = new Trainer(backend, d, m.config, model);
      } catch (e) {
        backend.dispose(); // no trainer holds it: end its worker threads here
        throw e;
      }
      loadedWeights = model !== undefined;
      // A file holds no initial weights: draw the weights themselves, not a change from the loaded ones (all zero).
      initialW1 = loadedWeights ? new Float32Array(trainer.net.params.W1.size) : trainer.net.params.W1.data.slice();
      const indices = gridIndices(d.test.count);
      const pixels = new Uint8Array(indices.length * IMAGE_SIZE);
      indices.forEach((i, k) => {
        for (let p = 0; p < IMAGE_SIZE; p++) pixels[k * IMAGE_SIZE + p] = Math.round(d.test.images[i * IMAGE_SIZE + p] * 255);
      });
      post(run, {
        type: 'ready',
        backend: backend.name,
        threads: backend.threads,
        threadsUnavailable: backend.threadsUnavailable,
        trainCount: d.train.count,
        testCount: d.test.count,
        stepsPerEpoch: trainer.stepsPerEpoch,
        model: trainer.config.model ?? 'mlp',
        sizes: trainer.config.model !== 'mlp' ? [] : (model?.sizes ?? [IMAGE_SIZE, ...m.config.hidden, 10]),
        grid: { indices, labels: indices.map((i) => d.test.labels[i]), pixels },
        loaded:
          model && m.model && modelFiles
            ? {
                name: m.model.name,
                model: model.kind,
                optimizer: model.optimizerName ?? m.config.optimizer,
                lr: trainer.startLr,
                ...modelFiles.chapter6Options(model.net),
              }
            : undefined,
      });
      evaluate(trainer);
      break;
    }
    case 'start':
      if (m.run !== run || !trainer) break;
      untilStep = m.untilStep;
      if (!running && trainer.steps < untilStep) {
        running = true;
        slice(run);
      }
      break;
    case 'pause':
      if (m.run === run) running = false;
      break;
    case 'save':
      if (m.run === run && trainer) {
        const { saveMnistModel } = await import('../mnist_model.js');
        if (m.run !== run || !trainer) break; // a Reset came in while the chunk loaded
        const bytes = saveMnistModel(trainer.net, trainer.optimizer);
        post(run, { type: 'model', bytes }, [bytes.buffer]);
      }
      break;
    case 'predict':
      if (m.run === run && trainer) {
        const { probs, layers } = trainer.activations(m.pixels);
        post(run, { type: 'probs', probs, layers }, [probs.buffer, ...layers.map((l) => l.values.buffer)]);
      }
      break;
  }
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const forRun = e.data.run;
  handle(e.data).catch((err: Error) => post(forRun, { type: 'error', message: err.message }));
};
