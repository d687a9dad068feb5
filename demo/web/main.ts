/**
 * The page: controls, live charts (uPlot), the drawing pad with live probabilities, the test
 * digit grid and the first layer's weights. All training happens in worker.ts; this thread only
 * draws, so the page stays responsive. `window.demoState` exposes what the page shows, for the
 * end-to-end test.
 */
import './locale.js'; // first: uPlot reads navigator.language as it loads
import uPlot from 'uplot';
import { IMAGE_SIDE, IMAGE_SIZE } from '../mnist_format.js';
import { type ModelKind, RECIPES } from '../recipes.js';
import type { LayerActivation, TrainConfig } from '../trainer.js';
import { preprocessDrawing } from './preprocess.js';
import { WEIGHT_IMAGES, type FromWorker, type ToWorker } from './protocol.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

interface DemoState {
  /** The current run id (bumped by every Reset); messages of older runs are dropped. */
  run: number;
  backend: string;
  /** Threads the worker's backend runs on, and why only one where more were asked. */
  threads: number;
  threadsUnavailable: string | null;
  /** 'building' → 'evaluating' (the untrained net) → 'paused' ⇄ 'training' → 'done'; or 'error'. */
  phase: 'building' | 'evaluating' | 'paused' | 'training' | 'done' | 'error';
  evals: { step: number; epoch: number; trainAccuracy: number; testAccuracy: number }[];
  /** Loss points drawn (epoch, loss), as the chart has them. */
  losses: [number, number][];
  /** Messages from older runs that arrived after a Reset and were dropped. */
  stale: number;
  prediction: number | null;
  probs: number[] | null;
  /** The run whose net computed `probs`. */
  probsRun: number;
  /** The layers drawn under "every layer" for the drawing: name, shape of one sample, largest |value|. */
  activations: { name: string; shape: number[]; max: number }[];
  /** Hidden units drawn under "first-layer weights". */
  units: number[];
  /** The model file the current net was loaded from, and the size of the last download. */
  loadedModel: string | null;
  downloadedBytes: number;
}
const state: DemoState = {
  run: 0,
  backend: '',
  threads: 0,
  threadsUnavailable: null,
  phase: 'building',
  evals: [],
  losses: [],
  stale: 0,
  prediction: null,
  probs: null,
  probsRun: 0,
  activations: [],
  units: [],
  loadedModel: null,
  downloadedBytes: 0,
};
(window as unknown as { demoState: DemoState }).demoState = state;

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
type Body = ToWorker extends infer M ? (M extends unknown ? Omit<M, 'run'> : never) : never;
const send = (m: Body, transfer: Transferable[] = []) => worker.postMessage({ ...m, run: state.run } as ToWorker, transfer);

// ---- charts -------------------------------------------------------------------------------
const lossData: [number[], number[]] = [[], []];
const accData: [number[], number[], number[]] = [[], [], []];
const CHART_HEIGHT = 190;
const chartWidth = () => Math.max(200, $('loss-chart').clientWidth);
const fixed = (digits: number) => (_u: uPlot, v: number | null) => (v == null ? '–' : v.toFixed(digits));
const epochSeries: uPlot.Series = { label: 'epoch', value: fixed(2) };
/** Epochs on x; with one point or none (just after a Reset) the first epoch, not a stale or 0–100 span. */
const epochScale: uPlot.Scale = {
  time: false,
  range: (u, min, max) => (u.data[0].length > 1 && min != null && max != null ? [min, max] : [0, 1]),
};
const lossChart = new uPlot(
  {
    width: chartWidth(),
    height: CHART_HEIGHT,
    title: 'training loss (log scale)',
    // Log scale: the loss falls by orders of magnitude, and a linear axis shows it as flat at 0.
    // Whole decades (0.1 to 10, not 0.2 to 10): a loss below the lowest label is then never unlabelled.
    scales: {
      x: epochScale,
      y: { distr: 3, range: (_u, min, max) => (min != null && max != null && min > 0 ? uPlot.rangeLog(min, max, 10, true) : [0.1, 10]) },
    },
    axes: [{ label: 'epoch' }, { label: 'loss', size: 56 }],
    series: [epochSeries, { label: 'loss', stroke: '#2f6fdf', width: 1.5, value: fixed(4) }],
  },
  lossData,
  $('loss-chart'),
);
/**
 * The accuracy axis zooms to where the net is now: 0.8–1 once both accuracies are above 0.9
 * (the curves would overlap on 0–1), 0.5–1 above 0.6, else 0–1. Older, lower points leave the view.
 */
function accuracyRange(u: uPlot): uPlot.Range.MinMax {
  const last = u.data[0].length - 1;
  const now = last < 0 ? 0 : Math.min(Number(u.data[1][last]), Number(u.data[2][last]));
  return [now >= 0.9 ? 0.8 : now >= 0.6 ? 0.5 : 0, 1];
}
const accChart = new uPlot(
  {
    width: chartWidth(),
    height: CHART_HEIGHT,
    title: 'accuracy',
    scales: { x: epochScale, y: { range: accuracyRange } },
    axes: [{ label: 'epoch' }, { label: 'accuracy', size: 56 }],
    series: [
      epochSeries,
      { label: 'train', stroke: '#2c9a5a', width: 2, value: fixed(3) },
      { label: 'test', stroke: '#d6803a', width: 2, value: fixed(3) },
    ],
  },
  accData,
  $('acc-chart'),
);
(window as unknown as { demoCharts: Record<string, uPlot> }).demoCharts = { loss: lossChart, accuracy: accChart };
window.addEventListener('resize', () => {
  lossChart.setSize({ width: chartWidth(), height: CHART_HEIGHT });
  accChart.setSize({ width: chartWidth(), height: CHART_HEIGHT });
});

// ---- controls -----------------------------------------------------------------------------
/**
 * A learning rate that works for each optimizer on this net (784→256→128→10, batch 100, He
 * init, seed 42): the best of 0.3, 0.1, 0.03, … 0.0003 by test accuracy after 5 epochs, measured
 * with the CLI (bench/results/mnist.md). Adam and RMSprop at SGD's 0.1 reach only 0.76 and 0.27.
 * Applied when the optimizer changes, unless the user typed a rate.
 */
const LEARNING_RATES: Record<TrainConfig['optimizer'], number> = {
  sgd: 0.3,
  momentum: 0.1,
  nesterov: 0.1,
  adagrad: 0.03,
  rmsprop: 0.001,
  adam: 0.003,
};
/** The controls a Reset applies (epochs is read at Start). */
const NET_SETTINGS = ['backend', 'threads', 'model', 'hidden', 'lr', 'batch', 'optimizer', 'batchnorm', 'dropout', 'weight-decay'] as const;

/** How the status line names the CNNs, as the CLI does (describeMnistNet), with the DeepConvNet's Dropout ratio. */
const CNN_TEXT = {
  cnn: () => 'SimpleConvNet (conv 30×5×5 → relu → pool 2×2 → 100 → 10)',
  deep: (dropout: string) => `DeepConvNet (conv 16, 16, 32, 32, 64, 64 ×3×3 → 3 pools → 50 → 10, dropout ${dropout})`,
} as const;

/**
 * Which chapter-6 controls apply to a model: all three to the MLP; the DeepConvNet's two Dropout
 * layers take the dropout ratio; the SimpleConvNet has none of them. The others are disabled.
 */
function enableChapter6(model: ModelKind): void {
  $<HTMLInputElement>('hidden').disabled = model !== 'mlp';
  $<HTMLSelectElement>('batchnorm').disabled = model !== 'mlp';
  $<HTMLInputElement>('weight-decay').disabled = model !== 'mlp';
  $<HTMLInputElement>('dropout').disabled = model === 'cnn';
}

function readConfig(): TrainConfig {
  const hidden = $<HTMLInputElement>('hidden')
    .value.split(',')
    .map((s) => Number(s.trim()));
  if (hidden.length === 0 || !hidden.every((h) => Number.isInteger(h) && h > 0 && h <= 2048))
    throw new Error(`hidden sizes: expected integers 1–2048 separated by commas, found "${$<HTMLInputElement>('hidden').value}"`);
  const lr = Number($<HTMLInputElement>('lr').value);
  if (!(lr > 0 && Number.isFinite(lr)))
    throw new Error(`learning rate: expected a positive number, found "${$<HTMLInputElement>('lr').value}"`);
  const batch = Number($<HTMLInputElement>('batch').value);
  if (!(Number.isInteger(batch) && batch >= 1 && batch <= 8000))
    throw new Error(`batch: expected an integer 1–8000, found "${$<HTMLInputElement>('batch').value}"`);
  const optimizer = $<HTMLSelectElement>('optimizer').value as TrainConfig['optimizer'];
  const dropout = Number($<HTMLInputElement>('dropout').value);
  if (!(dropout >= 0 && dropout < 1))
    throw new Error(`dropout: expected a ratio from 0 up to (not including) 1, found "${$<HTMLInputElement>('dropout').value}"`);
  const weightDecay = Number($<HTMLInputElement>('weight-decay').value);
  if (!(weightDecay >= 0 && Number.isFinite(weightDecay)))
    throw new Error(`weight decay: expected a number ≥ 0, found "${$<HTMLInputElement>('weight-decay').value}"`);
  const batchnorm = $<HTMLSelectElement>('batchnorm').value === 'on';
  // the CNNs: the CLI's recipes (He init, images shifted by up to 2 pixels; the DeepConvNet's
  // cosine decay over the epochs field); hidden sizes and the chapter-6 options do not apply,
  // except the DeepConvNet's Dropout ratio
  const model = $<HTMLSelectElement>('model').value as ModelKind;
  if (model !== 'mlp')
    return { ...RECIPES[model].config, lr, batch, optimizer, epochs: readEpochs(), ...(model === 'deep' ? { dropout } : {}) };
  return { hidden, lr, batch, optimizer, init: 'he', seed: 42, dropout, batchnorm, weightDecay };
}

/** The chapter-6 options of the applied settings, as the status line names them. */
function chapter6Text(): string {
  const extras = [
    applied.batchnorm === 'on' ? 'batch norm' : '',
    Number(applied.dropout) > 0 ? `dropout ${applied.dropout}` : '',
    Number(applied['weight-decay']) > 0 ? `weight decay ${applied['weight-decay']}` : '',
  ].filter(Boolean);
  return extras.length > 0 ? ` with ${extras.join(', ')}` : '';
}

function readEpochs(): number {
  const text = $<HTMLInputElement>('epochs').value;
  const epochs = Number(text);
  if (!(Number.isInteger(epochs) && epochs >= 1 && epochs <= 1000)) throw new Error(`epochs: expected an integer 1–1000, found "${text}"`);
  return epochs;
}

/** The values of the net settings when the current run was built. */
let applied: Record<string, string> = {};
const settingValue = (id: string) => $<HTMLInputElement | HTMLSelectElement>(id).value;
/** Settings changed since the last Reset: marked next to the control, and Start becomes "Reset and start". */
function pendingSettings(): string[] {
  return NET_SETTINGS.filter((id) => applied[id] !== undefined && settingValue(id) !== applied[id]);
}

let readyText = '';
let stepsPerEpoch = 0;
/** Train until this step; Start extends it by the epochs field. */
let targetStep = 0;
let startWhenReady = false;

/** Puts buttons, labels and the status line in line with `state.phase` and pending changes. */
function render(): void {
  const pending = pendingSettings();
  for (const id of NET_SETTINGS) $(id).closest('label')!.classList.toggle('pending', pending.includes(id));
  $('pending').hidden = pending.length === 0;
  const start = $<HTMLButtonElement>('start');
  const phase = state.phase;
  const epochs = $<HTMLInputElement>('epochs').value;
  start.textContent = pending.length > 0 ? 'Reset and start' : phase === 'done' ? `Train ${epochs} more` : 'Start';
  start.disabled = pending.length > 0 ? phase === 'building' || phase === 'evaluating' : !(phase === 'paused' || phase === 'done');
  $<HTMLButtonElement>('pause').disabled = phase !== 'training';
  $<HTMLButtonElement>('reset').disabled = false;
  $<HTMLButtonElement>('download').disabled = !(phase === 'paused' || phase === 'training' || phase === 'done');
  const doneEpochs = stepsPerEpoch ? Math.round(targetStep / stepsPerEpoch) : undefined;
  const status: Record<DemoState['phase'], string> = {
    building: 'building the net…',
    evaluating: `${readyText} evaluating the untrained net…`,
    paused: `${readyText} Paused: press Start.`,
    training: `${readyText} Training to epoch ${stepsPerEpoch ? targetStep / stepsPerEpoch : '?'}…`,
    done: `${readyText} Done: ${doneEpochs ?? '?'} epoch${doneEpochs === 1 ? '' : 's'}.`,
    error: `${readyText}`,
  };
  $('status').textContent = status[phase];
}

/** Builds a new net from the settings, or (with `model`) from a saved model file. */
function reset(model?: { name: string; bytes: Uint8Array }): void {
  $('error').textContent = '';
  let config: TrainConfig;
  try {
    config = readConfig();
  } catch (e) {
    $('error').textContent = (e as Error).message;
    startWhenReady = false;
    return;
  }
  state.run++;
  lossData.forEach((a) => (a.length = 0));
  accData.forEach((a) => (a.length = 0));
  lossChart.setData(lossData);
  accChart.setData(accData);
  state.evals = [];
  state.losses = [];
  for (const id of ['loss', 'train-acc', 'test-acc', 'speed']) $(id).textContent = '–';
  $('speed-threads').textContent = '';
  $('epoch').textContent = '0';
  applied = Object.fromEntries(NET_SETTINGS.map((id) => [id, settingValue(id)]));
  targetStep = 0;
  state.phase = 'building';
  clearProbs(); // the old net's answer; the new net answers once it is evaluated
  clearEvaluation();
  render();
  state.loadedModel = null;
  send(
    {
      type: 'reset',
      backend: $<HTMLSelectElement>('backend').value as 'wasm' | 'ts',
      threads: $<HTMLSelectElement>('threads').value === '1' ? 1 : 'auto',
      config,
      model,
    },
    model ? [model.bytes.buffer] : [],
  );
}

function start(): void {
  if (pendingSettings().length > 0) {
    startWhenReady = true;
    reset();
    return;
  }
  let epochs: number;
  try {
    epochs = readEpochs();
  } catch (e) {
    $('error').textContent = (e as Error).message;
    return;
  }
  $('error').textContent = '';
  // A paused run keeps its target; otherwise train `epochs` more epochs from where the net is.
  const at = state.evals.length > 0 ? state.evals[state.evals.length - 1].step : 0;
  if (targetStep <= at) targetStep = at + epochs * stepsPerEpoch;
  state.phase = 'training';
  send({ type: 'start', untilStep: targetStep });
  render();
}

$('start').onclick = start;
$('pause').onclick = () => {
  send({ type: 'pause' });
  state.phase = 'paused';
  render();
};
$('reset').onclick = () => {
  startWhenReady = false;
  reset();
};
// Download model / Load model: .safetensors files, the same as the CLI's --save and --load.
$('download').onclick = () => send({ type: 'save' });
$('load').onclick = () => $<HTMLInputElement>('model-file').click();
$<HTMLInputElement>('model-file').onchange = async () => {
  const input = $<HTMLInputElement>('model-file');
  const file = input.files?.[0];
  input.value = '';
  if (!file) return;
  const bytes = new Uint8Array(await file.arrayBuffer());
  // The file is checked before anything is reset: one that is not an MNIST model is refused with
  // the reason, and the net being trained stays as it was.
  try {
    const { checkMnistModel } = await import('../mnist_model.js');
    const kind = await checkMnistModel(bytes, file.name);
    // The model select follows the file, so that the run goes on with that model's recipe (a CNN's augmentation).
    if (settingValue('model') !== kind) {
      $<HTMLSelectElement>('model').value = kind;
      $('model').dispatchEvent(new Event('change'));
    }
  } catch (e) {
    $('error').textContent = (e as Error).message;
    return;
  }
  startWhenReady = false;
  reset({ name: file.name, bytes });
};
let lrTyped = false;
$('lr').addEventListener('input', () => (lrTyped = true));
/** The page's MLP settings as it loaded, restored when the model goes back to the MLP. */
const mlpDefaults = {
  optimizer: settingValue('optimizer'),
  lr: settingValue('lr'),
  epochs: settingValue('epochs'),
  batch: settingValue('batch'),
  dropout: settingValue('dropout'),
  batchnorm: settingValue('batchnorm'),
  weightDecay: settingValue('weight-decay'),
};
$('model').addEventListener('change', () => {
  // the CNNs train with the CLI's recipes (Adam, their learning rate, batch and epochs)
  const model = settingValue('model') as ModelKind;
  const cnn = model !== 'mlp';
  const { config, epochs } = RECIPES[model];
  $<HTMLSelectElement>('optimizer').value = cnn ? config.optimizer : mlpDefaults.optimizer;
  if (!lrTyped) $<HTMLInputElement>('lr').value = cnn ? String(config.lr) : mlpDefaults.lr;
  $<HTMLInputElement>('epochs').value = cnn ? String(epochs) : mlpDefaults.epochs;
  $<HTMLInputElement>('batch').value = cnn ? String(config.batch) : mlpDefaults.batch;
  // the controls show what the model trains with: its recipe's Dropout, none of the others
  $<HTMLInputElement>('dropout').value = cnn ? String(config.dropout ?? 0) : mlpDefaults.dropout;
  $<HTMLSelectElement>('batchnorm').value = cnn ? 'off' : mlpDefaults.batchnorm;
  $<HTMLInputElement>('weight-decay').value = cnn ? '0' : mlpDefaults.weightDecay;
  enableChapter6(model);
  render();
});
$('optimizer').addEventListener('change', () => {
  const optimizer = settingValue('optimizer') as TrainConfig['optimizer'];
  if (!lrTyped) $<HTMLInputElement>('lr').value = String(LEARNING_RATES[optimizer]);
});
for (const id of [...NET_SETTINGS, 'epochs']) {
  $(id).addEventListener('input', render);
  $(id).addEventListener('change', render);
}

// ---- pictures -----------------------------------------------------------------------------
/** Draws 784 values into a 28×28 canvas through a colour function. */
function paint(
  canvas: HTMLCanvasElement,
  values: ArrayLike<number>,
  offset: number,
  colour: (v: number) => [number, number, number],
): void {
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(IMAGE_SIDE, IMAGE_SIDE);
  for (let p = 0; p < IMAGE_SIZE; p++) {
    const [r, g, b] = colour(values[offset + p]);
    img.data.set([r, g, b, 255], p * 4);
  }
  ctx.putImageData(img, 0, 0);
}
const grayscale = (v: number): [number, number, number] => [v, v, v];
function newCanvas(): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = c.height = IMAGE_SIDE;
  return c;
}

let gridCells: { cell: HTMLElement; label: number; text: HTMLElement }[] = [];
function buildGrid(grid: Extract<FromWorker, { type: 'ready' }>['grid']): void {
  const root = $('grid');
  root.textContent = '';
  gridCells = grid.labels.map((label, k) => {
    const cell = document.createElement('div');
    cell.className = 'digit';
    const canvas = newCanvas();
    paint(canvas, grid.pixels, k * IMAGE_SIZE, grayscale);
    const text = document.createElement('span');
    text.textContent = '?';
    cell.append(canvas, text);
    root.append(cell);
    return { cell, label, text };
  });
}

/** Forgets what the old net showed (its score, answers and weights) until the new one is evaluated. */
function clearEvaluation(): void {
  $('grid-score').textContent = '— evaluating…';
  for (const { cell, text } of gridCells) {
    cell.classList.remove('wrong');
    text.textContent = '?';
  }
  $('weights').textContent = '';
}

function showPredictions(predictions: Uint8Array): void {
  let right = 0;
  gridCells.forEach(({ cell, label, text }, k) => {
    const p = predictions[k];
    const ok = p === label;
    if (ok) right++;
    cell.classList.toggle('wrong', !ok);
    text.textContent = ok ? `${p}` : `${p} (is ${label})`;
  });
  $('grid-score').textContent = `— ${right}/${gridCells.length} right, wrong ones in red`;
}

/** A signed value as a colour, scaled by `max`: white at 0, deepening to red for +max and blue for −max (the key under the weights says so). */
function signedColour(w: number, max: number): [number, number, number] {
  const v = Math.round((Math.abs(w) / max) * 255);
  return w >= 0 ? [255, 255 - v, 255 - v] : [255 - v, 255 - v, 255];
}

/** The colour key under the weights for what the pictures show (signedColour's scale). */
const WEIGHTS_KEY = {
  change: "red: ink there now raises the unit's input more, blue: less, white: unchanged (each picture scaled to its largest change).",
  weight:
    "red: ink there raises the unit's input (positive weight), blue: lowers it (negative), white: zero weight (each picture scaled to its largest weight).",
  filter: 'red: positive weight, blue: negative, white: zero (each filter scaled to its largest weight).',
};

/** Draws side×side values, each scaled by `max`: red positive, blue negative (filters), or black to white from 0 (maps). */
function paintSquare(canvas: HTMLCanvasElement, values: Float32Array, offset: number, side: number, signed: boolean): void {
  canvas.width = canvas.height = side;
  let max = 1e-12;
  for (let p = 0; p < side * side; p++) max = Math.max(max, Math.abs(values[offset + p]));
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(side, side);
  for (let p = 0; p < side * side; p++) {
    const w = values[offset + p];
    const v = Math.round((Math.abs(w) / max) * 255);
    img.data.set([...(signed ? signedColour(w, max) : [v, v, v]), 255], p * 4);
  }
  ctx.putImageData(img, 0, 0);
}

/**
 * Every layer's output for the drawn digit, as ConvNetJS's demo shows them: one picture per
 * layer, its maps side by side (each scaled to its own largest value), a vector as a block of
 * cells (scaled to the layer's largest). Red and blue where a layer has negative values (a
 * convolution or Affine before its ReLU), black to white where it has none.
 */
function showActivations(layers: LayerActivation[]): void {
  const root = $('activations');
  while (root.children.length < layers.length) {
    const figure = document.createElement('figure');
    figure.append(document.createElement('canvas'), document.createElement('figcaption'));
    root.append(figure);
  }
  while (root.children.length > layers.length) root.lastChild!.remove();
  for (const [i, layer] of layers.entries()) {
    const figure = root.children[i] as HTMLElement;
    figure.querySelector('figcaption')!.textContent = `${layer.name} ${layer.shape.join('×')}`;
    figure.title = `${layer.name} (${layer.type}): ${layer.shape.join('×')} values`;
    paintMosaic(figure.querySelector('canvas')!, layer.values, layer.shape);
  }
  $('activations-section').hidden = layers.length === 0;
  state.activations = layers.map((l) => ({ name: l.name, shape: l.shape, max: l.values.reduce((a, v) => Math.max(a, Math.abs(v)), 0) }));
}

/** Draws [maps, h, w] values as a grid of maps with 1-pixel gaps, or [d] values as one near-square map. */
function paintMosaic(canvas: HTMLCanvasElement, values: Float32Array, shape: number[]): void {
  const [maps, h, w] =
    shape.length === 3 ? shape : [1, Math.ceil(values.length / Math.ceil(Math.sqrt(values.length))), Math.ceil(Math.sqrt(values.length))];
  const cols = Math.ceil(Math.sqrt(maps));
  const rows = Math.ceil(maps / cols);
  canvas.width = cols * (w + 1) - 1;
  canvas.height = rows * (h + 1) - 1;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(canvas.width, canvas.height);
  img.data.fill(255); // the gaps: white, opaque
  const signed = values.some((v) => v < 0);
  for (let m = 0; m < maps; m++) {
    const size = h * w;
    let max = 1e-12;
    for (let p = 0; p < size && m * size + p < values.length; p++) max = Math.max(max, Math.abs(values[m * size + p]));
    const [x0, y0] = [(m % cols) * (w + 1), Math.floor(m / cols) * (h + 1)];
    for (let p = 0; p < size; p++) {
      const v = values[m * size + p];
      const at = ((y0 + Math.floor(p / w)) * canvas.width + x0 + (p % w)) * 4;
      if (v === undefined) continue; // the cells of a vector's block past its end stay white
      const grey = Math.round((Math.abs(v) / max) * 255);
      img.data.set(signed ? signedColour(v, max) : [grey, grey, grey], at);
    }
  }
  ctx.putImageData(img, 0, 0);
}

/** Fills `root` with `count` canvases of side×side pictures from `values`. */
function showSquares(root: HTMLElement, values: Float32Array, side: number, signed: boolean, title: (j: number) => string): void {
  const count = values.length / (side * side);
  while (root.children.length < count) root.append(document.createElement('canvas'));
  while (root.children.length > count) root.lastChild!.remove();
  for (let j = 0; j < count; j++) {
    const canvas = root.children[j] as HTMLCanvasElement;
    canvas.title = title(j);
    paintSquare(canvas, values, j * side * side, side, signed);
  }
}

/** A CNN's first-layer filters (figure 7-24 of the book), each scaled to its largest weight. */
function showFilters(filters: Float32Array, side: number): void {
  state.units = [];
  showSquares($('weights'), filters, side, true, (j) => `filter ${j + 1}`);
  $('weights-what').textContent =
    `Each picture: one of the CNN's ${filters.length / (side * side)} learned ${side}×${side} filters (as the book's figure 7-24).`;
  $('weights-key').textContent = WEIGHTS_KEY.filter;
}

function showWeights(weights: Float32Array, units: number[], loaded: boolean): void {
  $('weights-what').textContent = loaded
    ? `Each picture: one hidden unit's 784 input weights, for the ${WEIGHT_IMAGES} units with the largest weights (the net was loaded from a file, which keeps no initial weights to subtract).`
    : `Each picture: how training changed one hidden unit's 784 input weights (now minus at init), for the ${WEIGHT_IMAGES} units that changed most.`;
  $('weights-key').textContent = loaded ? WEIGHTS_KEY.weight : WEIGHTS_KEY.change;
  const count = units.length;
  state.units = units;
  const root = $('weights');
  while (root.children.length < count) root.append(newCanvas());
  while (root.children.length > count) root.lastChild!.remove();
  for (let j = 0; j < count; j++) {
    let max = 1e-12;
    for (let p = 0; p < IMAGE_SIZE; p++) max = Math.max(max, Math.abs(weights[j * IMAGE_SIZE + p]));
    (root.children[j] as HTMLCanvasElement).title = `hidden unit ${units[j]}`;
    paint(root.children[j] as HTMLCanvasElement, weights, j * IMAGE_SIZE, (w) => signedColour(w, max));
  }
}

// ---- drawing pad --------------------------------------------------------------------------
const pad = $<HTMLCanvasElement>('draw');
const padCtx = pad.getContext('2d', { willReadFrequently: true })!;
const bars = Array.from({ length: 10 }, (_, d) => {
  const row = document.createElement('div');
  row.className = 'bar';
  row.innerHTML = `<b>${d}</b><div><i></i></div><span>–</span>`;
  $('probs').append(row);
  return { row, fill: row.querySelector('i')!, text: row.querySelector('span')! };
});

let padHasInk = false;
/** Forgets the answer to the drawing: its probabilities and every layer's activations. */
function clearProbs(): void {
  state.prediction = null;
  state.probs = null;
  $('prediction').textContent = '–';
  bars.forEach((b) => {
    b.fill.style.width = '0';
    b.text.textContent = '–';
    b.row.classList.remove('top');
  });
  $('activations-section').hidden = true;
  $('activations').textContent = '';
  state.activations = [];
}
function clearPad(): void {
  padCtx.fillStyle = '#000';
  padCtx.fillRect(0, 0, pad.width, pad.height);
  padHasInk = false;
  clearProbs();
  $<HTMLCanvasElement>('preview').getContext('2d')!.clearRect(0, 0, IMAGE_SIDE, IMAGE_SIDE);
}
clearPad();
$('clear').onclick = clearPad;

let drawing = false;
let last: [number, number] | null = null;
let predictQueued = false;
function point(e: PointerEvent): [number, number] {
  const r = pad.getBoundingClientRect();
  return [((e.clientX - r.left) / r.width) * pad.width, ((e.clientY - r.top) / r.height) * pad.height];
}
pad.addEventListener('pointerdown', (e) => {
  drawing = true;
  pad.setPointerCapture(e.pointerId);
  last = point(e);
  stroke(last);
});
pad.addEventListener('pointermove', (e) => {
  if (drawing) stroke(point(e));
});
const stop = () => {
  drawing = false;
  last = null;
};
pad.addEventListener('pointerup', stop);
pad.addEventListener('pointercancel', stop);

function stroke(to: [number, number]): void {
  padCtx.strokeStyle = '#fff';
  padCtx.lineWidth = pad.width / 14;
  padCtx.lineCap = padCtx.lineJoin = 'round';
  padCtx.beginPath();
  padCtx.moveTo(...(last ?? to));
  padCtx.lineTo(...to);
  padCtx.stroke();
  padHasInk = true;
  last = to;
  if (!predictQueued) {
    predictQueued = true;
    requestAnimationFrame(predict); // at most one prediction per frame
  }
}

function predict(): void {
  predictQueued = false;
  const { data } = padCtx.getImageData(0, 0, pad.width, pad.height);
  const gray = new Float32Array(pad.width * pad.height);
  for (let i = 0; i < gray.length; i++) gray[i] = data[i * 4] / 255;
  const pixels = preprocessDrawing(gray, pad.width, pad.height);
  paint($<HTMLCanvasElement>('preview'), pixels, 0, (v) => grayscale(Math.round(v * 255)));
  send({ type: 'predict', pixels });
}

function showProbs(probs: Float64Array, run: number): void {
  state.probsRun = run;
  let best = 0;
  probs.forEach((p, d) => {
    if (p > probs[best]) best = d;
    bars[d].fill.style.width = `${(p * 100).toFixed(1)}%`;
    bars[d].text.textContent = `${(p * 100).toFixed(0)}%`;
  });
  bars.forEach((b, d) => b.row.classList.toggle('top', d === best));
  state.prediction = best;
  state.probs = [...probs];
  $('prediction').textContent = String(best);
}

/** " · 2 threads", or " · 1 thread (why)" where more could not run; nothing for the TS backend, which has no threads. */
function threadsText(backend: string, threads: number, unavailable: string | undefined): string {
  if (!backend.startsWith('wasm-')) return '';
  return ` · ${threads} thread${threads === 1 ? '' : 's'}${unavailable ? ` (${unavailable})` : ''}`;
}

/**
 * Under steps/s, the threads that speed came from: "on 2 threads", or "on 1 of 2 threads" while
 * the backend's governor finds the other cores busy; nothing on one thread only.
 */
function speedThreadsText(inUse: number): string {
  if (state.threads <= 1) return '';
  return inUse === state.threads ? `on ${inUse} threads` : `on ${inUse} of ${state.threads} threads`;
}

// ---- worker messages ----------------------------------------------------------------------
worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  if (m.run !== state.run) {
    state.stale++; // sent before the last Reset: it describes a net that is gone
    return;
  }
  switch (m.type) {
    case 'ready':
      state.backend = m.backend;
      state.threads = m.threads;
      state.threadsUnavailable = m.threadsUnavailable ?? null;
      stepsPerEpoch = m.stepsPerEpoch;
      if (m.loaded) {
        // The controls show the loaded net and optimizer, so they are not "pending" changes, and
        // the status line below describes the file's net, not the settings the page had.
        state.loadedModel = m.loaded.name;
        $<HTMLSelectElement>('model').value = m.loaded.model;
        enableChapter6(m.loaded.model);
        if (m.loaded.model === 'mlp') $<HTMLInputElement>('hidden').value = m.sizes.slice(1, -1).join(',');
        $<HTMLSelectElement>('optimizer').value = m.loaded.optimizer;
        $<HTMLInputElement>('lr').value = String(m.loaded.lr);
        $<HTMLSelectElement>('batchnorm').value = m.loaded.batchnorm ? 'on' : 'off';
        $<HTMLInputElement>('dropout').value = String(m.loaded.dropout);
        $<HTMLInputElement>('weight-decay').value = String(m.loaded.weightDecay);
        applied = Object.fromEntries(NET_SETTINGS.map((id) => [id, settingValue(id)]));
      }
      readyText = `${m.backend}${threadsText(m.backend, m.threads, m.threadsUnavailable)}: ${m.model === 'mlp' ? `${m.sizes.join('→')}${chapter6Text()}` : CNN_TEXT[m.model](applied.dropout)}${m.loaded ? ` from ${m.loaded.name}` : ''} on ${m.trainCount} training / ${m.testCount} test digits.`;
      // A file keeps the net, not how it got there: say so where the curves would be.
      $('history-note').hidden = !m.loaded;
      $('history-note').textContent = m.loaded
        ? `Loaded from ${m.loaded.name}: the file holds the weights and the optimizer's state, not the training history, so the charts start here.`
        : '';
      buildGrid(m.grid);
      state.phase = 'evaluating';
      render();
      break;
    case 'progress':
      lossData[0].push(m.epoch);
      lossData[1].push(m.loss);
      state.losses.push([m.epoch, m.loss]);
      lossChart.setData(lossData);
      $('epoch').textContent = m.epoch.toFixed(2);
      $('loss').textContent = m.loss.toFixed(3);
      $('speed').textContent = m.stepsPerSecond.toFixed(0);
      $('speed-threads').textContent = speedThreadsText(m.threadsInUse);
      break;
    case 'eval':
      state.evals.push({ step: m.step, epoch: m.epoch, trainAccuracy: m.trainAccuracy, testAccuracy: m.testAccuracy });
      accData[0].push(m.epoch);
      accData[1].push(m.trainAccuracy);
      accData[2].push(m.testAccuracy);
      accChart.setData(accData);
      $('train-acc').textContent = m.trainAccuracy.toFixed(3);
      $('test-acc').textContent = m.testAccuracy.toFixed(3);
      showPredictions(m.predictions);
      if (m.filters) showFilters(m.filters, m.filterSide ?? 5);
      else showWeights(m.weights, m.units, m.loadedWeights ?? false);
      if (state.phase === 'evaluating') {
        state.phase = 'paused';
        if (padHasInk) predict(); // the drawing, seen by the new net
        if (startWhenReady) {
          startWhenReady = false;
          start();
        }
        render();
      }
      break;
    case 'done':
      state.phase = 'done';
      render();
      break;
    case 'probs':
      if (!padHasInk) break; // the answer for a drawing that was cleared while it was on its way
      showProbs(m.probs, m.run);
      showActivations(m.layers);
      break;
    case 'model': {
      state.downloadedBytes = m.bytes.length;
      const link = document.createElement('a');
      link.href = URL.createObjectURL(new Blob([m.bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
      link.download = 'mnist.safetensors';
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
      break;
    }
    case 'error':
      $('error').textContent = m.message;
      state.phase = state.evals.length > 0 ? 'paused' : 'error';
      render();
      break;
  }
};
worker.onerror = (e) => {
  $('error').textContent = `worker: ${e.message}`;
};

reset();
