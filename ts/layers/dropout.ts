import { checkObject, valueText } from '../core/checks.js';
import { Random } from '../core/random.js';
import { checkTensor, type Tensor } from '../core/tensor.js';
import { checkDout, type Layer, type LayerParams, requireForward, reuseBuffer } from './layer.js';

export interface DropoutOptions {
  /** Fraction of units dropped in training, in [0, 1) (default 0.5, the book's `dropout_ratio`). */
  ratio?: number;
  /** Seed of the generator that draws the masks (default 42). */
  seed?: number;
}

/**
 * Dropout (§6.4.3), with the book's semantics: in training, `mask = rand > ratio` and
 * out = x·mask; at test time out = x·(1 − ratio) (no inverted scaling). The mask is drawn from
 * a seeded generator on the JS side, so both backends drop the same units for the same seed;
 * applying it is a backend kernel (`applyMask`, `scale`).
 *
 * `backward` is the derivative of the last forward: dout·mask after a training forward,
 * dout·(1 − ratio) after a test-mode one (the book reuses a stale mask there).
 */
export class Dropout implements Layer {
  readonly type = 'Dropout';
  readonly ratio: number;
  /** 1 where the last training forward kept a unit, 0 where it dropped it (null before one). */
  mask: Tensor | null = null;
  /** Whether the last forward ran in training mode (null before any forward). */
  lastTrain: boolean | null = null;
  readonly #random: Random;
  #out: Tensor | null = null;
  #dx: Tensor | null = null;

  constructor(options: DropoutOptions = {}) {
    checkObject('new Dropout(options)', 'options', options, '{ ratio: 0.5, seed: 42 }');
    const { ratio = 0.5, seed = 42 } = options;
    Dropout.checkRatio('new Dropout({ ratio })', ratio);
    if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32)
      throw new Error(`new Dropout({ seed }): expected an integer seed from 0 to 2^32 − 1, got ${String(seed)}`);
    this.ratio = ratio;
    this.#random = new Random(seed);
  }

  /**
   * Throws unless `ratio` is a dropout ratio in [0, 1): a ratio of 1 drops every unit in training
   * and scales every output by 0 in test mode, so the net learns and predicts nothing. The one
   * rule for the constructor, `loadModel` and the CLI; `where` names the caller in the error.
   */
  static checkRatio(where: string, ratio: unknown): number {
    if (typeof ratio !== 'number' || !(ratio >= 0 && ratio < 1))
      throw new Error(`${where}: expected a ratio from 0 up to (not including) 1, got ${valueText(ratio)}`);
    return ratio;
  }

  forward(x: Tensor, train = true): Tensor {
    checkTensor('Dropout.forward', 'x', x);
    if (typeof train !== 'boolean') throw new Error(`Dropout.forward: expected train to be true or false, got ${String(train)}`);
    const backend = x.backend;
    this.#out = reuseBuffer(this.#out, backend, x.shape);
    if (train) {
      this.mask = reuseBuffer(this.mask, backend, x.shape);
      const mask = this.mask.data;
      for (let i = 0; i < mask.length; i++) mask[i] = this.#random.uniform() > this.ratio ? 1 : 0;
      backend.applyMask(x, this.mask, this.#out);
    } else {
      backend.scale(1 - this.ratio, x, this.#out);
    }
    this.lastTrain = train;
    return this.#out;
  }

  backward(dout: Tensor): Tensor {
    const where = 'Dropout.backward';
    checkTensor(where, 'dout', dout);
    const out = requireForward(where, this.#out);
    checkDout(where, dout, out);
    this.#dx = reuseBuffer(this.#dx, dout.backend, dout.shape);
    if (this.lastTrain) dout.backend.applyMask(dout, this.mask!, this.#dx);
    else dout.backend.scale(1 - this.ratio, dout, this.#dx);
    return this.#dx;
  }

  /** Nothing to learn. */
  params(): LayerParams {
    return {};
  }

  grads(): LayerParams<null> {
    return {};
  }

  dispose(): void {
    for (const t of [this.#out, this.#dx, this.mask]) t?.dispose();
    this.#out = this.#dx = this.mask = null;
    this.lastTrain = null;
  }
}
