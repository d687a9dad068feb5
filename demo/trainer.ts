/**
 * The MNIST training loop shared by the CLI (demo/mnist.ts) and the browser page's worker
 * (demo/web/worker.ts): an MLP, an optimizer, the data as tensors on the backend, seeded
 * shuffling, one step at a time. No Node or DOM imports.
 */
// The library's modules directly, not the package entry: the page's bundler then leaves the
// model-file code (re-exported by the entry) out of the worker's first download.
import type { Backend } from '../ts/core/backend.js';
import { NonFiniteLossError } from '../ts/layers/softmax_with_loss.js';
import { MultiLayerNetExtend } from '../ts/nets/multi_layer_net_extend.js';
import { Sequential } from '../ts/nets/sequential.js';
import { createOptimizer, type Optimizer } from '../ts/training/optimizers.js';
import { Random } from '../ts/core/random.js';
import { SimpleConvNet } from '../ts/nets/simple_conv_net.js';
import { DeepConvNet } from '../ts/nets/deep_conv_net.js';
import type { Params, Tensor } from '../ts/core/tensor.js';
import { argmax } from '../ts/core/values.js';
import { CLASSES, IMAGE_SIDE, IMAGE_SIZE, type Digits } from './mnist_format.js';
import { ElasticField, shiftImage, warpImage } from './augment.js';
import type { ModelKind, TrainConfig } from './recipes.js';

export { shiftImage } from './augment.js';
export { CNN_CONFIG, CNN_EPOCHS, DEEP_CONFIG, DEEP_EPOCHS, DEFAULT_CONFIG, DEFAULT_EPOCHS, RECIPES, type TrainConfig } from './recipes.js';

/** Rows per forward pass when evaluating: a CNN's im2col buffer grows with the batch (25 floats per pixel of every feature map). */
const EVAL_CHUNK = 500;

/** One layer's output for one image: its name and type, the shape of one sample ([C, H, W] or [D]) and the values. */
export interface LayerActivation {
  name: string;
  type: string;
  shape: number[];
  values: Float32Array;
}

/**
 * A mean cross-entropy above this means diverged: the correct class gets probability e^−10000,
 * the scores have blown up (a fresh net starts near ln 10 ≈ 2.3). With lr 1e10 a small net's
 * loss reaches 1e35 while staying finite, so waiting for NaN or Infinity is not enough.
 */
export const DIVERGED_LOSS = 1e4;

/**
 * Training diverged: the loss of step `step` (counted from 1) was NaN, ±Infinity or above
 * `DIVERGED_LOSS`; the step's update is not applied. The CLI
 * prints the message and exits non-zero; the page's worker can forward `step`, `loss` and the
 * message (`name` is 'TrainingDivergedError').
 */
export class TrainingDivergedError extends Error {
  override readonly name = 'TrainingDivergedError';
  constructor(
    readonly step: number,
    readonly loss: number,
  ) {
    super(`training diverged at step ${step} (loss ${Number.isFinite(loss) ? loss.toPrecision(3) : loss}): lower the learning rate`);
  }
}

/** Which of the apps' nets `net` is: by class, as a model file rebuilds it. */
export function modelKind(net: Sequential): ModelKind {
  return net instanceof DeepConvNet ? 'deep' : net instanceof SimpleConvNet ? 'cnn' : 'mlp';
}

/**
 * The net of a config: the book's CNNs as they are, seeded; for the MLP, the book's
 * MultiLayerNetExtend when a chapter-6 option is on (it draws the same initial weights from the
 * seed), else the plain MLP.
 */
function buildNet(backend: Backend, config: TrainConfig): Sequential {
  if (config.model === 'cnn') return new SimpleConvNet(backend, { weightInitStd: config.init, seed: config.seed });
  if (config.model === 'deep')
    return new DeepConvNet(backend, { weightInitStd: config.init, seed: config.seed, dropoutRatio: config.dropout ?? 0.5 });
  const { dropout = 0, batchnorm = false, weightDecay = 0 } = config;
  if (dropout === 0 && !batchnorm && weightDecay === 0)
    return Sequential.mlp(backend, [IMAGE_SIZE, ...config.hidden, CLASSES], { init: config.init, seed: config.seed });
  return new MultiLayerNetExtend(backend, IMAGE_SIZE, config.hidden, CLASSES, {
    weightInitStd: config.init,
    useDropout: dropout > 0,
    dropoutRatio: dropout,
    useBatchnorm: batchnorm,
    weightDecayLambda: weightDecay,
    seed: config.seed,
  });
}

export class Trainer {
  readonly net: Sequential;
  readonly optimizer: Optimizer;
  readonly stepsPerEpoch: number;
  /** The shape of one input: [784] for the MLP, [1, 28, 28] for the CNNs. */
  readonly inputShape: number[];
  /** Steps taken so far; `step % stepsPerEpoch === 0` marks an epoch boundary. */
  steps = 0;
  readonly #trainX: Tensor;
  readonly #trainT: Tensor;
  readonly #testX: Tensor;
  readonly #testT: Tensor;
  readonly #batchX: Tensor;
  readonly #batchT: Tensor;
  readonly #order: Uint32Array;
  readonly #rng: Random;
  /** The elastic augmentation's field (a few KB), redrawn for each image. */
  readonly #elastic = new ElasticField();
  #input: Tensor | null = null;
  /** The steps the schedule spans (0: constant). */
  readonly #scheduleSteps: number;

  /** The learning rate of the first step (a schedule's start), what the apps report as the run's lr. */
  readonly startLr: number;

  /** The config as given, except that a loaded net's kind decides `model` (the file's net is what trains). */
  readonly config: TrainConfig;

  constructor(
    readonly backend: Backend,
    readonly data: { train: Digits; test: Digits },
    config: TrainConfig,
    /** A loaded model to go on from (its optimizer too, if saved); by default a new seeded MLP. */
    model?: { net: Sequential; optimizer?: Optimizer },
  ) {
    const { train, test } = data;
    if (!(Number.isInteger(config.batch) && config.batch > 0 && config.batch <= train.count)) {
      throw new Error(`Trainer: expected a batch size in 1..${train.count} (the training set), got ${config.batch}`);
    }
    const scheduleSteps = checkSchedule(config, Math.floor(train.count / config.batch));
    this.net = model?.net ?? buildNet(backend, config);
    this.config = { ...config, model: modelKind(this.net) };
    this.optimizer = model?.optimizer ?? createOptimizer(config.optimizer, { lr: config.lr });
    // A schedule starts from the config's lr, also for a loaded optimizer: the file holds the lr
    // its own schedule had decayed to (near 0), so going on from a file is a warm restart.
    this.startLr = scheduleSteps > 0 ? config.lr : this.optimizer.lr;
    this.#scheduleSteps = scheduleSteps;
    this.inputShape = this.config.model === 'mlp' ? [IMAGE_SIZE] : [1, IMAGE_SIDE, IMAGE_SIDE];
    this.#trainX = backend.tensor(train.images, [train.count, ...this.inputShape]);
    this.#trainT = backend.tensor(train.labels, [train.count]);
    this.#testX = backend.tensor(test.images, [test.count, ...this.inputShape]);
    this.#testT = backend.tensor(test.labels, [test.count]);
    this.#batchX = backend.zeros([config.batch, ...this.inputShape]);
    this.#batchT = backend.zeros([config.batch]);
    this.#order = Uint32Array.from({ length: train.count }, (_, i) => i);
    this.#rng = new Random(config.seed);
    this.stepsPerEpoch = Math.floor(train.count / config.batch);
  }

  /** The epoch the next step belongs to, from 1. */
  get epoch(): number {
    return Math.floor(this.steps / this.stepsPerEpoch) + 1;
  }

  /**
   * One minibatch step (reshuffling at each epoch start); returns the batch loss. Throws a
   * `TrainingDivergedError` at the first loss that is not finite or exceeds `DIVERGED_LOSS`.
   */
  step(): number {
    const inEpoch = this.steps % this.stepsPerEpoch;
    if (inEpoch === 0) this.#rng.shuffle(this.#order);
    this.#fillBatch(inEpoch);
    let grads: Params;
    try {
      grads = this.net.gradient(this.#batchX, this.#batchT);
    } catch (e) {
      if (e instanceof NonFiniteLossError) throw new TrainingDivergedError(this.steps + 1, e.loss);
      throw e;
    }
    const loss = this.net.lastLayer.loss!;
    if (loss > DIVERGED_LOSS) throw new TrainingDivergedError(this.steps + 1, loss);
    if (this.#scheduleSteps > 0) this.optimizer.lr = scheduledLr(this.startLr, this.steps, this.#scheduleSteps);
    this.optimizer.update(this.net.params, grads);
    this.steps++;
    return loss;
  }

  /** Accuracy on the whole training and test sets. */
  evaluate(): { trainAccuracy: number; testAccuracy: number } {
    return { trainAccuracy: this.#accuracy(this.#trainX, this.#trainT), testAccuracy: this.#accuracy(this.#testX, this.#testT) };
  }

  /** The predicted class of the test digits at these indices. */
  predictTest(indices: readonly number[]): Uint8Array {
    const scores = this.#scores(this.#testX);
    return Uint8Array.from(indices, (i) => argmax(scores, i * CLASSES, CLASSES));
  }

  #accuracy(X: Tensor, T: Tensor): number {
    const scores = this.#scores(X);
    const labels = T.data;
    let correct = 0;
    for (let i = 0; i < labels.length; i++) if (argmax(scores, i * CLASSES, CLASSES) === labels[i]) correct++;
    return labels.length > 0 ? correct / labels.length : 0;
  }

  /** The scores of every row of X, computed EVAL_CHUNK rows at a time (copied out of the net's buffer). */
  #scores(X: Tensor): Float32Array {
    const rows = X.shape[0];
    if (rows <= EVAL_CHUNK) return this.net.predict(X).data.slice();
    const scores = new Float32Array(rows * CLASSES);
    const per = X.size / rows;
    for (let start = 0; start < rows; start += EVAL_CHUNK) {
      const count = Math.min(EVAL_CHUNK, rows - start);
      const chunk = this.backend.zeros([count, ...this.inputShape]);
      try {
        chunk.data.set(X.data.subarray(start * per, (start + count) * per)); // X.data after the allocation: it may grow WASM memory
        scores.set(this.net.predict(chunk).data, start * CLASSES);
      } finally {
        chunk.dispose();
      }
    }
    return scores;
  }

  /**
   * The first `count` columns of W1 (each the 784 weights of one hidden unit), concatenated; for
   * a CNN, its first `count` filters as stored in W1 (SimpleConvNet [30, 1, 5, 5], DeepConvNet [16, 1, 3, 3]).
   */
  firstLayerWeights(count: number): Float32Array {
    if (this.config.model !== 'mlp') {
      const W1 = this.net.params.W1;
      return W1.data.slice(0, Math.min(count, W1.shape[0]) * (W1.size / W1.shape[0]));
    }
    const W1 = this.net.params.W1.data;
    const hidden = this.net.params.W1.shape[1];
    const n = Math.min(count, hidden);
    const out = new Float32Array(n * IMAGE_SIZE);
    for (let p = 0; p < IMAGE_SIZE; p++) for (let j = 0; j < n; j++) out[j * IMAGE_SIZE + p] = W1[p * hidden + j];
    return out;
  }

  /** Class probabilities (softmax of the scores) for one 784-pixel image in [0, 1]. */
  probabilities(pixels: Float32Array): Float64Array {
    return softmax(this.net.predict(this.#one('Trainer.probabilities', pixels)).data);
  }

  /**
   * The class probabilities of one image and what every layer gives on the way (test mode, as
   * `predict`), copied out: the page draws them all, as ConvNetJS's demo does.
   */
  activations(pixels: Float32Array): { probs: Float64Array; layers: LayerActivation[] } {
    let x = this.#one('Trainer.activations', pixels);
    const layers: LayerActivation[] = [];
    // predict's loop, kept here because predict keeps no intermediate outputs
    for (const [name, layer] of this.net.layers) {
      x = layer.forward(x, false);
      layers.push({ name, type: layer.type, shape: x.shape.slice(1), values: x.data.slice() });
    }
    return { probs: softmax(x.data), layers };
  }

  /** One image in the net's input tensor (made once, reused). */
  #one(where: string, pixels: Float32Array): Tensor {
    if (pixels.length !== IMAGE_SIZE) throw new Error(`${where}: expected ${IMAGE_SIZE} pixels, got ${pixels.length}`);
    this.#input ??= this.backend.zeros([1, ...this.inputShape]);
    this.#input.data.set(pixels);
    return this.#input;
  }

  /** Frees the net, the optimizer state and the data tensors. */
  dispose(): void {
    this.net.dispose();
    this.optimizer.dispose();
    for (const t of [this.#trainX, this.#trainT, this.#testX, this.#testT, this.#batchX, this.#batchT, this.#input]) t?.dispose();
  }

  /** Copies the rows of this step into the batch tensors (inside WASM memory on the WASM backend). */
  #fillBatch(inEpoch: number): void {
    const b = this.config.batch;
    const images = this.#trainX.data,
      labels = this.#trainT.data,
      x = this.#batchX.data,
      t = this.#batchT.data;
    const { shift = 0, rotate = 0, scale = 0, elastic = 0 } = this.config;
    const rng = this.#rng;
    const field = elastic > 0 ? this.#elastic : undefined;
    for (let r = 0; r < b; r++) {
      const i = this.#order[inEpoch * b + r];
      if (rotate > 0 || scale > 0 || field) {
        // a continuous warp: any angle, size and sub-pixel move in the ranges
        const warp = {
          angle: ((2 * rng.uniform() - 1) * rotate * Math.PI) / 180,
          scale: 1 + (2 * rng.uniform() - 1) * scale,
          dx: (2 * rng.uniform() - 1) * shift,
          dy: (2 * rng.uniform() - 1) * shift,
        };
        field?.draw(rng, elastic); // once per image: no closure or array made in the step
        warpImage(images, i * IMAGE_SIZE, x, r * IMAGE_SIZE, warp, field);
      } else if (shift > 0)
        shiftImage(images, i * IMAGE_SIZE, x, r * IMAGE_SIZE, rng.int(2 * shift + 1) - shift, rng.int(2 * shift + 1) - shift);
      else x.set(images.subarray(i * IMAGE_SIZE, (i + 1) * IMAGE_SIZE), r * IMAGE_SIZE);
      t[r] = labels[i];
    }
  }
}

/**
 * The cosine schedule's learning rate at step `step` (from 0) of `steps`: base·(1 + cos(π·s/S))/2,
 * with s held at S − 1 past the end, so it never reaches 0 (which no optimizer takes).
 */
export function scheduledLr(base: number, step: number, steps: number): number {
  const s = Math.min(step, steps - 1);
  return (base * (1 + Math.cos((Math.PI * s) / steps))) / 2;
}

/** The steps a config's schedule spans (0 for 'constant'), or an error naming the bad value. */
function checkSchedule(config: TrainConfig, stepsPerEpoch: number): number {
  const { lrSchedule = 'constant', epochs } = config;
  if (lrSchedule === 'constant') return 0;
  if (lrSchedule !== 'cosine') throw new Error(`Trainer: expected lrSchedule 'constant' or 'cosine', got ${JSON.stringify(lrSchedule)}`);
  if (!(Number.isInteger(epochs) && (epochs as number) > 0))
    throw new Error(`Trainer: the 'cosine' schedule is spread over the run, so it needs epochs ≥ 1, got ${String(epochs)}`);
  return (epochs as number) * stepsPerEpoch;
}

/** Softmax of a short score vector, max-subtracted. */
export function softmax(scores: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < scores.length; i++) max = Math.max(max, scores[i]);
  const out = Float64Array.from({ length: scores.length }, (_, i) => Math.exp(scores[i] - max));
  const sum = out.reduce((a, v) => a + v, 0);
  return out.map((v) => v / sum);
}
