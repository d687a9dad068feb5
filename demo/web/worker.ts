/**
 * The page's training loop, in a Web Worker so the page stays responsive: it loads the
 * embedded digits (mnist.bin, served next to the page), trains in slices of about 40 ms and
 * answers messages between slices, so pause and predictions never wait for a whole epoch.
 */
import { createBackend } from '../../ts/index.js';
import { decodeMnist, IMAGE_SIZE, type Digits } from '../mnist_format.js';
import { Trainer } from '../trainer.js';
import { GRID_SIZE, WEIGHT_IMAGES, type FromWorker, type ToWorker } from './protocol.js';

const SLICE_MS = 40;
/** Evaluate (accuracy, grid predictions, weight pictures) this many times per epoch. */
const EVALS_PER_EPOCH = 2;

let data: { train: Digits; test: Digits } | null = null;
let trainer: Trainer | null = null;
let running = false;
let generation = 0; // bumps on reset, so a slice scheduled for an old trainer stops
/** Steps/s over at least a second of training (one 40 ms slice is too noisy on a busy machine). */
const speed = { steps: 0, ms: 0, rate: 0 };

const post = (m: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

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
  const weights = t.firstLayerWeights(WEIGHT_IMAGES);
  post({ type: 'eval', step: t.steps, epoch: t.steps / t.stepsPerEpoch, trainAccuracy, testAccuracy, predictions, weights, weightCount: weights.length / IMAGE_SIZE }, [weights.buffer]);
}

function slice(gen: number): void {
  if (!running || !trainer || gen !== generation) return;
  const t = trainer;
  const evalEvery = Math.max(1, Math.floor(t.stepsPerEpoch / EVALS_PER_EPOCH));
  const start = performance.now();
  let loss = 0, steps = 0;
  do {
    loss += t.step();
    steps++;
    if (t.steps % evalEvery === 0) break; // report the evaluation right at its step
  } while (performance.now() - start < SLICE_MS);
  speed.steps += steps;
  speed.ms += performance.now() - start;
  if (speed.ms >= 1000 || speed.rate === 0) {
    speed.rate = (speed.steps * 1000) / speed.ms;
    if (speed.ms >= 1000) speed.steps = speed.ms = 0;
  }
  post({ type: 'progress', step: t.steps, epoch: t.steps / t.stepsPerEpoch, loss: loss / steps, stepsPerSecond: speed.rate });
  if (t.steps % evalEvery === 0) evaluate(t);
  setTimeout(() => slice(gen), 0); // lets queued messages (pause, predict) run first
}

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case 'reset': {
      running = false;
      generation++;
      Object.assign(speed, { steps: 0, ms: 0, rate: 0 });
      trainer?.dispose();
      trainer = null;
      const d = await loadData();
      const backend = await createBackend(m.backend);
      trainer = new Trainer(backend, d, m.config);
      const indices = gridIndices(d.test.count);
      const pixels = new Uint8Array(indices.length * IMAGE_SIZE);
      indices.forEach((i, k) => {
        for (let p = 0; p < IMAGE_SIZE; p++) pixels[k * IMAGE_SIZE + p] = Math.round(d.test.images[i * IMAGE_SIZE + p] * 255);
      });
      post({ type: 'ready', backend: backend.name, trainCount: d.train.count, testCount: d.test.count, sizes: [IMAGE_SIZE, ...m.config.hidden, 10], grid: { indices, labels: indices.map((i) => d.test.labels[i]), pixels } });
      evaluate(trainer);
      break;
    }
    case 'start':
      if (!running && trainer) {
        running = true;
        slice(generation);
      }
      break;
    case 'pause':
      running = false;
      break;
    case 'predict':
      if (trainer) post({ type: 'probs', probs: trainer.probabilities(m.pixels) });
      break;
  }
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  handle(e.data).catch((err: Error) => post({ type: 'error', message: err.message }));
};
