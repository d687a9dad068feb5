import { checkBackend, type Backend } from '../core/backend.js';
import { numericalGradient } from '../training/numerical_gradient.js';
import { initWeights, type WeightInit } from '../training/init.js';
import { Affine } from '../layers/affine.js';
import type { Layer } from '../layers/layer.js';
import { Relu } from '../layers/relu.js';
import { Sigmoid } from '../layers/sigmoid.js';
import { checkTargets, SoftmaxWithLoss } from '../layers/softmax_with_loss.js';
import { Random } from '../core/random.js';
import { describeValue, valueText } from '../core/checks.js';
import { checkTensor, formatShape, type Params, type Tensor } from '../core/tensor.js';
import { argmax, isF32Finite } from '../core/values.js';

export interface MlpOptions {
  /** Hidden activation (default `'relu'`). */
  activation?: 'relu' | 'sigmoid';
  /** Weight initialisation (default `'he'` for ReLU, `'xavier'` for sigmoid). */
  init?: WeightInit;
  /** Seed of the initialisation (default 42). */
  seed?: number;
}

export interface SequentialOptions {
  /**
   * Weight decay λ (§6.4.1, default 0): the loss adds 0.5·λ·ΣW² over every weight W1, W2, …
   * (Affine weight matrices and Convolution filters alike, as the book's MultiLayerNetExtend
   * decays every params['W…']; not the biases, γ or β) and each dW gets λ·W.
   */
  weightDecayLambda?: number;
}

/**
 * A network as an ordered list of named layers ending in a SoftmaxWithLoss, as the book's
 * TwoLayerNet / MultiLayerNet keep them (`OrderedDict` + `lastLayer`). Each layer's `params()`
 * get the number of its kind: the i-th layer with weights (Affine or Convolution) has
 * `params['W' + i]` and `params['b' + i]`; the i-th BatchNormalization layer's are
 * `params['gamma' + i]` and `params['beta' + i]`.
 *
 * Layers that behave differently in training (Dropout, BatchNormalization) get the `train` flag
 * of `predict`/`loss`: false by default, as in the book; `gradient` runs in training mode.
 */
export class Sequential {
  readonly layers: ReadonlyMap<string, Layer>;
  readonly lastLayer: SoftmaxWithLoss;
  readonly params: Params;
  readonly weightDecayLambda: number;
  /** The layers with parameters, each with the number its parameters carry (W2, b2), in `params` order. */
  readonly #learning: { layer: Layer; ordinal: number }[];
  /** The layers in order, kept as an array so a training step walks them without allocating. */
  readonly #order: Layer[];
  #disposed = false;

  constructor(
    layers: Iterable<readonly [string, Layer]>,
    lastLayer: SoftmaxWithLoss = new SoftmaxWithLoss(),
    options: SequentialOptions = {},
  ) {
    checkLayerList(layers, lastLayer);
    this.weightDecayLambda = checkWeightDecay(options);
    const map = new Map<string, Layer>();
    for (const [name, layer] of layers) {
      if (map.has(name)) throw new Error(`Sequential: two layers are named '${name}'; names must be unique`);
      map.set(name, layer);
    }
    this.layers = map;
    this.lastLayer = lastLayer;
    this.#order = [...map.values()];
    this.#learning = numberLayers(this.#order);
    this.params = {};
    for (const { layer, ordinal } of this.#learning) {
      for (const [key, tensor] of Object.entries(layer.params())) {
        const first = this.params.W1;
        if (key === 'W' && first && tensor.backend !== first.backend)
          throw new Error(
            `Sequential: weighted layer ${ordinal} is on backend '${tensor.backend.name}', the first on '${first.backend.name}'`,
          );
        this.params[`${key}${ordinal}`] = tensor;
      }
    }
  }

  /**
   * Throws unless `lambda` is a weight decay λ: a number ≥ 0 that stays finite in f32 (the
   * decay term λ·W is computed on f32 weights). The one rule for the constructor, `loadModel`
   * and the CLI; `where` names the caller in the error.
   */
  static checkWeightDecayLambda(where: string, lambda: unknown): number {
    if (typeof lambda !== 'number' || !(lambda >= 0) || !isF32Finite(lambda))
      throw new Error(`${where}: expected weightDecayLambda to be a number ≥ 0 within the f32 range, got ${valueText(lambda)}`);
    return lambda;
  }

  /**
   * A fully connected net: Affine → activation → … → Affine, then SoftmaxWithLoss.
   * `sizes` = [inputs, hidden…, classes], e.g. [784, 50, 10].
   */
  static mlp(backend: Backend, sizes: readonly number[], options: MlpOptions = {}): Sequential {
    checkBackend('Sequential.mlp', backend);
    if (!Array.isArray(sizes) || sizes.length < 2 || !sizes.every((s) => Number.isInteger(s) && s > 0)) {
      throw new Error(
        `Sequential.mlp: expected sizes [inputs, hidden..., classes] of positive integers, got ${Array.isArray(sizes) ? formatShape(sizes) : describeValue(sizes)}`,
      );
    }
    const activation = options.activation ?? 'relu';
    if (activation !== 'relu' && activation !== 'sigmoid')
      throw new Error(`Sequential.mlp: expected activation 'relu' or 'sigmoid', got ${String(activation)}`);
    const init = options.init ?? (activation === 'relu' ? 'he' : 'xavier');
    const rng = new Random(options.seed ?? 42);
    const layers: [string, Layer][] = [];
    try {
      for (let i = 1; i < sizes.length; i++) {
        const W = initWeights(backend, sizes[i - 1], sizes[i], init, rng);
        layers.push([`Affine${i}`, new Affine(W, backend.zeros([sizes[i]]))]);
        if (i < sizes.length - 1) layers.push(activation === 'relu' ? [`Relu${i}`, new Relu()] : [`Sigmoid${i}`, new Sigmoid()]);
      }
    } catch (e) {
      // weights beyond f32 in a later layer: free the earlier layers' parameters
      for (const [, layer] of layers) for (const p of Object.values(layer.params())) p.dispose();
      throw e;
    }
    return sequentialOf(layers);
  }

  /**
   * The scores (before softmax) for a batch; owned by the last layer, overwritten next call.
   * `train` selects the training behaviour of Dropout and BatchNormalization (default false).
   */
  predict(x: Tensor, train = false): Tensor {
    this.#checkAlive('predict');
    checkTensor('Sequential.predict', 'x', x);
    for (const layer of this.#order) x = layer.forward(x, train);
    return x;
  }

  /** Mean cross-entropy loss on a batch (plus the weight-decay term); `t` is one-hot or class indices. */
  loss(x: Tensor, t: Tensor, train = false): number {
    this.#checkAlive('loss');
    checkInputs('Sequential.loss', x, t);
    return this.lastLayer.forward(this.predict(x, train), t) + this.#weightDecayLoss();
  }

  /** 0.5·λ·ΣW² over every W (Affine and Convolution), summed in float64 (0 without weight decay). */
  #weightDecayLoss(): number {
    const lambda = this.weightDecayLambda;
    if (lambda === 0) return 0;
    let sum = 0;
    for (const { layer } of this.#learning) {
      const w = layer.params().W?.data;
      if (w) for (let i = 0; i < w.length; i++) sum += w[i] * w[i];
    }
    return 0.5 * lambda * sum;
  }

  /** Fraction of rows whose highest score is the target class. */
  accuracy(x: Tensor, t: Tensor): number {
    this.#checkAlive('accuracy');
    checkInputs('Sequential.accuracy', x, t);
    const y = this.predict(x);
    const [batch, classes] = y.shape;
    const kind = checkTargets('Sequential.accuracy', t, y);
    const scores = y.data;
    const targets = t.data;
    let correct = 0;
    for (let i = 0; i < batch; i++) {
      const predicted = argmax(scores, i * classes, classes);
      const expected = kind === 'labels' ? targets[i] : argmax(targets, i * classes, classes);
      if (predicted === expected) correct++;
    }
    return batch > 0 ? correct / batch : 0;
  }

  /**
   * Backprop gradients of the loss for every parameter (a training-mode forward, then backward
   * through the layers in reverse). The returned tensors are the layers' own dW/db (with λ·W
   * added under weight decay) and dgamma/dbeta, overwritten next call.
   */
  gradient(x: Tensor, t: Tensor): Params {
    this.#checkAlive('gradient');
    checkInputs('Sequential.gradient', x, t);
    this.loss(x, t, true);
    let dout = this.lastLayer.backward();
    const layers = this.#order;
    // Nothing uses the gradient of the network's input, so a first layer with weights skips dx,
    // and may take the backward of the layers right after it too (Convolution → Relu → Pooling).
    const first = layers[0];
    const fused = first?.fusedBackwardDepth?.(layers) ?? 0;
    for (let i = layers.length - 1; i >= 1 + fused; i--) dout = layers[i].backward(dout);
    if (fused > 0) first.backwardParamsThrough!(layers, dout);
    else if (first?.backwardParams) first.backwardParams(dout);
    else first?.backward(dout);
    const grads: Params = {};
    const lambda = this.weightDecayLambda;
    for (const { layer, ordinal } of this.#learning) {
      const params = layer.params();
      for (const [key, grad] of Object.entries(layer.grads())) {
        // dW += λ·W: the SGD pass with lr = −λ
        if (key === 'W' && lambda !== 0) grad!.backend.sgd(-lambda, grad!, params.W);
        grads[`${key}${ordinal}`] = grad!;
      }
    }
    return grads;
  }

  /**
   * The same gradients by central differences, as the book's `numerical_gradient` (slow: two
   * forward passes per weight; use a tiny batch), on training-mode losses as the book's
   * `numerical_gradient` (a Dropout layer then draws a new mask per pass: `gradientCheck` keeps
   * the mask fixed instead). Returns new tensors that the caller disposes.
   */
  numericalGradient(x: Tensor, t: Tensor, h = 1e-3): Params {
    this.#checkAlive('numericalGradient');
    checkInputs('Sequential.numericalGradient', x, t);
    const grads: Params = {};
    for (const [key, param] of Object.entries(this.params)) {
      const grad = numericalGradient(() => this.loss(x, t, true), param, h);
      grads[key] = param.backend.tensor(grad, param.shape);
    }
    return grads;
  }

  /** True after `dispose()`. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /** Frees every layer's buffers and the parameters; every later use of the net throws. Idempotent. */
  dispose(): void {
    this.#disposed = true;
    for (const layer of this.layers.values()) layer.dispose();
    this.lastLayer.dispose();
    for (const p of Object.values(this.params)) p.dispose();
  }

  /** Refuses any use after dispose(), before anything is allocated. */
  #checkAlive(method: string): void {
    if (this.#disposed)
      throw new Error(`${this.constructor.name}.${method}: this net was disposed; it cannot be used any more (create a new one)`);
  }
}

/**
 * `new Sequential(layers)`, outside the class body on purpose: a class that names itself inside
 * its body is bundled by esbuild as `var Sequential = class _Sequential`, and its instances then
 * report `constructor.name` '_Sequential' (in error messages, in toOnnx's graph name).
 */
function sequentialOf(layers: [string, Layer][]): Sequential {
  return new Sequential(layers);
}

/**
 * The layers that have parameters, each with its number. Layers whose first parameter has the
 * same name share one count: Affine and Convolution are numbered W1, W2, … in net order (as the
 * book's deep_convnet), BatchNormalization gamma1, gamma2, …. Listed count by count, in the order
 * the counts first appear (in the book's nets: every W before the first gamma), which is the
 * order of `params` and of `gradient`'s keys.
 */
function numberLayers(layers: readonly Layer[]): { layer: Layer; ordinal: number }[] {
  const groups = new Map<string, { layer: Layer; ordinal: number }[]>();
  for (const layer of layers) {
    const first = Object.keys(layer.params())[0];
    if (first === undefined) continue;
    const group = groups.get(first) ?? [];
    groups.set(first, group);
    group.push({ layer, ordinal: group.length + 1 });
  }
  return [...groups.values()].flat();
}

function checkWeightDecay(options: SequentialOptions): number {
  if (typeof options !== 'object' || options === null)
    throw new Error(
      `new Sequential(layers, lastLayer, options): expected options to be an object such as { weightDecayLambda: 0.1 }, got ${describeValue(options)}`,
    );
  return Sequential.checkWeightDecayLambda('Sequential', options.weightDecayLambda ?? 0);
}

function checkInputs(where: string, x: unknown, t: unknown): void {
  checkTensor(where, 'x', x);
  checkTensor(where, 't', t);
}

/** Entry checks for `new Sequential(layers, lastLayer)` from plain JavaScript. */
function checkLayerList(layers: unknown, lastLayer: unknown): void {
  const where = 'new Sequential(layers)';
  if (typeof layers !== 'object' || layers === null || typeof (layers as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new Error(`${where}: expected layers to be an array of [name, layer] pairs, got ${describeValue(layers)}`);
  }
  let i = 0;
  for (const entry of layers as Iterable<unknown>) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string') {
      throw new Error(`${where}: expected entry ${i} to be a [name, layer] pair with a string name, got ${describeValue(entry)}`);
    }
    const layer = entry[1] as Record<string, unknown> | null;
    const missing = ['forward', 'backward', 'params', 'grads', 'dispose'].filter((m) => typeof layer?.[m] !== 'function');
    if (missing.length > 0) {
      throw new Error(
        `${where}: expected '${entry[0]}' to be a layer (with forward, backward, params, grads and dispose methods), got ${describeValue(layer)} without ${missing.join(', ')}`,
      );
    }
    i++;
  }
  if (!(lastLayer instanceof SoftmaxWithLoss))
    throw new Error(`${where}: expected lastLayer to be a SoftmaxWithLoss, got ${describeValue(lastLayer)}`);
}
