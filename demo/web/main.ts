/**
 * The page: controls, live charts (uPlot), the drawing pad with live probabilities, the test
 * digit grid and the first layer's weights. All training happens in worker.ts; this thread only
 * draws, so the page stays responsive. `window.demoState` exposes what the page shows, for the
 * end-to-end test.
 */
import uPlot from 'uplot';
import { IMAGE_SIDE, IMAGE_SIZE } from '../mnist_format.js';
import type { TrainConfig } from '../trainer.js';
import { preprocessDrawing } from './preprocess.js';
import type { FromWorker, ToWorker } from './protocol.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

interface DemoState {
  backend: string;
  evals: { step: number; trainAccuracy: number; testAccuracy: number }[];
  prediction: number | null;
  probs: number[] | null;
}
const state: DemoState = { backend: '', evals: [], prediction: null, probs: null };
(window as unknown as { demoState: DemoState }).demoState = state;

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
const send = (m: ToWorker) => worker.postMessage(m);

// ---- charts -------------------------------------------------------------------------------
const lossData: [number[], number[]] = [[], []];
const accData: [number[], number[], number[]] = [[], [], []];
const chartWidth = () => Math.max(320, $('loss-chart').parentElement!.clientWidth - 32);
const axes = (y: string): uPlot.Axis[] => [{ label: 'epoch' }, { label: y }];
const lossChart = new uPlot(
  { width: chartWidth(), height: 190, title: 'training loss (per slice)', scales: { x: { time: false } }, axes: axes('loss'), series: [{}, { label: 'loss', stroke: '#2f6fdf', width: 1.5 }] },
  lossData,
  $('loss-chart'),
);
const accChart = new uPlot(
  {
    width: chartWidth(), height: 190, title: 'accuracy', scales: { x: { time: false }, y: { range: [0, 1] } }, axes: axes('accuracy'),
    series: [{}, { label: 'train', stroke: '#2c9a5a', width: 2 }, { label: 'test', stroke: '#d6803a', width: 2 }],
  },
  accData,
  $('acc-chart'),
);
window.addEventListener('resize', () => {
  lossChart.setSize({ width: chartWidth(), height: 190 });
  accChart.setSize({ width: chartWidth(), height: 190 });
});

// ---- controls -----------------------------------------------------------------------------
function readConfig(): TrainConfig {
  const hidden = $<HTMLInputElement>('hidden').value.split(',').map((s) => Number(s.trim()));
  if (hidden.length === 0 || !hidden.every((h) => Number.isInteger(h) && h > 0 && h <= 2048)) throw new Error(`hidden sizes: expected integers 1–2048 separated by commas, found "${$<HTMLInputElement>('hidden').value}"`);
  const lr = Number($<HTMLInputElement>('lr').value);
  if (!(lr > 0 && Number.isFinite(lr))) throw new Error(`learning rate: expected a positive number, found "${$<HTMLInputElement>('lr').value}"`);
  const batch = Number($<HTMLInputElement>('batch').value);
  if (!(Number.isInteger(batch) && batch >= 1 && batch <= 8000)) throw new Error(`batch: expected an integer 1–8000, found "${$<HTMLInputElement>('batch').value}"`);
  const optimizer = $<HTMLSelectElement>('optimizer').value as TrainConfig['optimizer'];
  return { hidden, lr, batch, optimizer, init: 'he', seed: 42 };
}

let readyText = '';
function setRunning(running: boolean): void {
  $('status').textContent = `${readyText} ${running ? 'Training…' : 'Paused: press Start.'}`;
  $<HTMLButtonElement>('start').disabled = running;
  $<HTMLButtonElement>('pause').disabled = !running;
  $<HTMLButtonElement>('reset').disabled = false;
}

function reset(): void {
  $('error').textContent = '';
  let config: TrainConfig;
  try {
    config = readConfig();
  } catch (e) {
    $('error').textContent = (e as Error).message;
    return;
  }
  lossData.forEach((a) => (a.length = 0));
  accData.forEach((a) => (a.length = 0));
  lossChart.setData(lossData);
  accChart.setData(accData);
  state.evals = [];
  for (const id of ['loss', 'train-acc', 'test-acc', 'speed']) $(id).textContent = '–';
  $('epoch').textContent = '0';
  $<HTMLButtonElement>('start').disabled = true;
  $('status').textContent = 'building the net…';
  send({ type: 'reset', backend: $<HTMLSelectElement>('backend').value as 'wasm' | 'ts', config });
}

$('start').onclick = () => {
  send({ type: 'start' });
  setRunning(true);
};
$('pause').onclick = () => {
  send({ type: 'pause' });
  setRunning(false);
};
$('reset').onclick = reset;

// ---- pictures -----------------------------------------------------------------------------
/** Draws 784 values into a 28×28 canvas through a colour function. */
function paint(canvas: HTMLCanvasElement, values: ArrayLike<number>, offset: number, colour: (v: number) => [number, number, number]): void {
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

function showWeights(weights: Float32Array, count: number): void {
  const root = $('weights');
  while (root.children.length < count) root.append(newCanvas());
  while (root.children.length > count) root.lastChild!.remove();
  for (let j = 0; j < count; j++) {
    let max = 1e-12;
    for (let p = 0; p < IMAGE_SIZE; p++) max = Math.max(max, Math.abs(weights[j * IMAGE_SIZE + p]));
    paint(root.children[j] as HTMLCanvasElement, weights, j * IMAGE_SIZE, (w) => {
      const v = Math.round((Math.abs(w) / max) * 255);
      return w >= 0 ? [255, 255 - v, 255 - v] : [255 - v, 255 - v, 255];
    });
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

function clearPad(): void {
  padCtx.fillStyle = '#000';
  padCtx.fillRect(0, 0, pad.width, pad.height);
  state.prediction = null;
  state.probs = null;
  $('prediction').textContent = '–';
  bars.forEach((b) => {
    b.fill.style.width = '0';
    b.text.textContent = '–';
    b.row.classList.remove('top');
  });
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

function showProbs(probs: Float64Array): void {
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

// ---- worker messages ----------------------------------------------------------------------
worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  switch (m.type) {
    case 'ready':
      state.backend = m.backend;
      readyText = `${m.backend}: ${m.sizes.join('→')} on ${m.trainCount} training / ${m.testCount} test digits.`;
      buildGrid(m.grid);
      setRunning(false);
      break;
    case 'progress':
      lossData[0].push(m.epoch);
      lossData[1].push(m.loss);
      lossChart.setData(lossData);
      $('epoch').textContent = m.epoch.toFixed(2);
      $('loss').textContent = m.loss.toFixed(3);
      $('speed').textContent = m.stepsPerSecond.toFixed(0);
      break;
    case 'eval':
      state.evals.push({ step: m.step, trainAccuracy: m.trainAccuracy, testAccuracy: m.testAccuracy });
      accData[0].push(m.epoch);
      accData[1].push(m.trainAccuracy);
      accData[2].push(m.testAccuracy);
      accChart.setData(accData);
      $('train-acc').textContent = m.trainAccuracy.toFixed(3);
      $('test-acc').textContent = m.testAccuracy.toFixed(3);
      showPredictions(m.predictions);
      showWeights(m.weights, m.weightCount);
      break;
    case 'probs':
      showProbs(m.probs);
      break;
    case 'error':
      $('error').textContent = m.message;
      setRunning(false);
      break;
  }
};
worker.onerror = (e) => {
  $('error').textContent = `worker: ${e.message}`;
};

reset();
