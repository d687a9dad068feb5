import { BATCH_NORM_EPS } from '../backends/ts_normalization.js';
import { checkNonNegative, checkObject, valueText } from '../core/checks.js';
import { checkTensor, formatShape, type Tensor } from '../core/tensor.js';
import { checkDout, type Layer, type LayerParams, requireForward, reuseBuffer } from './layer.js';

export interface BatchNormalizationOptions {
  /** Weight of the old running statistics in each update (default 0.9, the book's). */
  momentum?: number;
  /** Running mean to start from, shape [D] (default zeros, owned by the layer). */
  runningMean?: Tensor;
  /** Running variance to start from, shape [D] (default zeros, owned by the layer). */
  runningVar?: Tensor;
}

/**
 * Batch Normalization (§6.3): per feature, in training xn = (x − μ_batch)/√(σ²_batch + ε) with
 * ε = 1e-6 as in the book, out = γ·xn + β, and running mean/variance updated as
 * running ← momentum·running + (1 − momentum)·batch; at test time the running statistics
 * replace the batch ones. An input of shape [N, ...] (e.g. [N, C, H, W]) is flattened per sample
 * to [N, D], as the book does, so γ and β have D = C·H·W elements.
 *
 * `gamma` and `beta` are the caller's tensors (a network owns them), as are running statistics
 * passed in the options; `dgamma` and `dbeta` are the layer's own, overwritten by every backward.
 */
export class BatchNormalization implements Layer {
  readonly type = 'BatchNormalization';
  /** ε under the square root, on both backends (the book's 10e-7 = 1e-6); what an ONNX export needs. */
  static readonly EPSILON = BATCH_NORM_EPS;
  readonly gamma: Tensor;
  readonly beta: Tensor;
  readonly momentum: number;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  dgamma: Tensor | null = null;
  dbeta: Tensor | null = null;
  /** Whether the last forward ran in training mode (null before any forward). */
  lastTrain: boolean | null = null;
  /** The normalised input of the last training forward, [N, D]. */
  xn: Tensor | null = null;
  /** 1/√(σ² + ε) per feature from the last training forward. */
  invStd: Tensor | null = null;
  readonly #ownsRunning: boolean[];
  #out: Tensor | null = null;
  #dx: Tensor | null = null;

  constructor(gamma: Tensor, beta: Tensor, options: BatchNormalizationOptions = {}) {
    const where = 'new BatchNormalization(gamma, beta)';
    checkTensor(where, 'gamma', gamma);
    checkTensor(where, 'beta', beta);
    checkObject(where, 'options', options, '{ momentum: 0.9 }');
    if (gamma.shape.length !== 1) throw new Error(`${where}: expected gamma of shape [features], got ${formatShape(gamma.shape)}`);
    const features = gamma.shape[0];
    const backend = gamma.backend;
    const { momentum = 0.9, runningMean, runningVar } = options;
    BatchNormalization.checkMomentum(where, momentum);
    const given: [string, Tensor | undefined][] = [
      ['beta', beta],
      ['runningMean', runningMean],
      ['runningVar', runningVar],
    ];
    for (const [name, t] of given) {
      if (t === undefined) continue;
      checkTensor(where, name, t);
      if (t.shape.length !== 1 || t.shape[0] !== features)
        throw new Error(`${where}: expected ${name} of shape [${features}] to match gamma, got ${formatShape(t.shape)}`);
      if (t.backend !== backend) throw new Error(`${where}: gamma is on backend '${backend.name}' but ${name} is on '${t.backend.name}'`);
    }
    if (runningVar !== undefined) checkNonNegative(where, 'runningVar', runningVar.data, 'a variance');
    this.gamma = gamma;
    this.beta = beta;
    this.momentum = momentum;
    this.#ownsRunning = [runningMean === undefined, runningVar === undefined];
    this.runningMean = runningMean ?? backend.zeros([features]);
    this.runningVar = runningVar ?? backend.zeros([features]);
  }

  /** Throws unless `momentum` is in [0, 1]: the one rule for the constructor and `loadModel`. */
  static checkMomentum(where: string, momentum: unknown): number {
    if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1))
      throw new Error(`${where}: expected momentum from 0 to 1, got ${valueText(momentum)}`);
    return momentum;
  }

  forward(x: Tensor, train = true): Tensor {
    const where = 'BatchNormalization.forward';
    checkTensor(where, 'x', x);
    if (typeof train !== 'boolean') throw new Error(`${where}: expected train to be true or false, got ${String(train)}`);
    const features = this.gamma.shape[0];
    if (x.shape.length < 2)
      throw new Error(`${where}: expected x of shape [batch, ...] with ${features} features per sample, got ${formatShape(x.shape)}`);
    const rows = x.shape[0];
    const cols = x.shape.slice(1).reduce((a, d) => a * d, 1);
    if (cols !== features)
      throw new Error(`${where}: x has ${cols} features per sample (shape ${formatShape(x.shape)}) but gamma has ${features}`);
    if (x.backend !== this.gamma.backend)
      throw new Error(`${where}: x is on backend '${x.backend.name}' but gamma is on '${this.gamma.backend.name}'`);
    const backend = x.backend;
    this.#out = reuseBuffer(this.#out, backend, x.shape);
    if (train) {
      this.xn = reuseBuffer(this.xn, backend, [rows, features]);
      this.invStd = reuseBuffer(this.invStd, backend, [features]);
      backend.batchNormForwardTrain(
        rows,
        features,
        this.momentum,
        x,
        this.gamma,
        this.beta,
        this.runningMean,
        this.runningVar,
        this.xn,
        this.invStd,
        this.#out,
      );
    } else {
      backend.batchNormForwardTest(rows, features, x, this.gamma, this.beta, this.runningMean, this.runningVar, this.#out);
    }
    this.lastTrain = train;
    return this.#out;
  }

  /** dgamma = Σ xn·dout, dbeta = Σ dout, and returns dx in x's shape (after a training forward). */
  backward(dout: Tensor): Tensor {
    const where = 'BatchNormalization.backward';
    checkTensor(where, 'dout', dout);
    const out = requireForward(where, this.#out);
    checkDout(where, dout, out);
    if (!this.lastTrain)
      throw new Error(
        `${where}: the last forward ran in test mode (train = false); backward needs the batch statistics of a training forward`,
      );
    const backend = out.backend;
    const features = this.gamma.shape[0];
    const rows = out.shape[0];
    this.#dx = reuseBuffer(this.#dx, backend, out.shape);
    this.dgamma = reuseBuffer(this.dgamma, backend, [features]);
    this.dbeta = reuseBuffer(this.dbeta, backend, [features]);
    backend.batchNormBackward(rows, features, dout, this.xn!, this.invStd!, this.gamma, this.dgamma, this.dbeta, this.#dx);
    return this.#dx;
  }

  /** γ and β (the running statistics are not learned by gradients, so they are not here). */
  params(): LayerParams {
    return { gamma: this.gamma, beta: this.beta };
  }

  grads(): LayerParams<Tensor | null> {
    return { gamma: this.dgamma, beta: this.dbeta };
  }

  dispose(): void {
    for (const t of [this.#out, this.#dx, this.dgamma, this.dbeta, this.xn, this.invStd]) t?.dispose();
    if (this.#ownsRunning[0]) this.runningMean.dispose();
    if (this.#ownsRunning[1]) this.runningVar.dispose();
    this.#out = this.#dx = this.dgamma = this.dbeta = this.xn = this.invStd = null;
    this.lastTrain = null;
  }
}
