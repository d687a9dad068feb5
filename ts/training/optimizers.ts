import { sameShape, type Params } from '../core/tensor.js';
import { checkObject, valueText } from '../core/checks.js';
import { checkTensor, formatShape, type Tensor } from '../core/tensor.js';
import { checkF32 } from '../core/values.js';

/**
 * The optimizers of the book's chapter 6 (`common/optimizer.py`), each with `update(params,
 * grads)` that changes the params in place. The element-wise passes are backend kernels (WASM on
 * the WASM backend, TS loops on the TS backend); this file holds the hyper-parameters, the
 * per-key state and Adam's step count.
 */

/** Stochastic gradient descent (§6.1.2): W ← W − lr · ∂L/∂W, in place, for every key of grads. */
export class SGD implements Optimizer {
  #lr: number;

  constructor(options: { lr?: number } = {}) {
    const { lr = 0.01 } = checkOptions(new.target.name, options);
    this.#lr = checkLr('new SGD({ lr })', lr);
  }

  /** The learning rate; assigning it (a schedule) takes effect at the next update. */
  get lr(): number {
    return this.#lr;
  }
  set lr(lr: number) {
    this.#lr = checkLr('SGD.lr', lr);
  }

  update(params: Params, grads: Params): void {
    checkUpdateArgs('SGD', params, grads);
    for (const [key, grad] of Object.entries(grads)) {
      const param = checkPair('SGD', params, key, grad);
      param.backend.sgd(this.lr, param, grad);
    }
  }

  dispose(): void {}
}

/**
 * A learning rate: a number > 0 that stays finite in f32. The one rule for the constructors'
 * `lr` and the `lr` setter that a schedule uses.
 */
function checkLr(where: string, lr: unknown): number {
  if (typeof lr !== 'number' || !(lr > 0)) throw new Error(`${where}: expected a positive learning rate, got ${valueText(lr)}`);
  return checkF32(where, 'learning rate', lr);
}

/** An optimizer's options object (`undefined` gives the defaults). */
function checkOptions<T extends object>(owner: string, options: T): T {
  checkObject(`new ${owner}(options)`, 'options', options, '{ lr: 0.01 }');
  return options;
}

/** `update(params, grads)` from plain JavaScript: two objects of tensors. */
function checkUpdateArgs(owner: string, params: unknown, grads: unknown): void {
  checkObject(`${owner}.update`, 'params', params, 'net.params');
  checkObject(`${owner}.update`, 'grads', grads, 'net.gradient(x, t)');
}

/** params[key], checked to exist and to have the gradient's shape. */
function checkPair(owner: string, params: Params, key: string, grad: Tensor): Tensor {
  checkTensor(`${owner}.update`, `grads['${key}']`, grad);
  const param = params[key];
  if (!param) throw new Error(`${owner}.update: grads has '${key}' but params does not (params: ${Object.keys(params).join(', ')})`);
  checkTensor(`${owner}.update`, `params['${key}']`, param);
  if (!sameShape(param.shape, grad.shape)) {
    throw new Error(
      `${owner}.update: params['${key}'] has shape ${formatShape(param.shape)} but its gradient has ${formatShape(grad.shape)}`,
    );
  }
  return param;
}

/** What every optimizer offers: one update of all params from their grads, and freeing its state. */
export interface Optimizer {
  /**
   * The learning rate of the next update. Settable, for a schedule that lowers it during
   * training (a value ≤ 0, NaN or beyond f32 is refused); Adam's bias correction keeps counting.
   */
  lr: number;
  update(params: Params, grads: Params): void;
  /** Frees the optimizer's state tensors (a no-op for SGD). */
  dispose(): void;
}

/**
 * The book's divide-by-zero guard in AdaGrad, RMSprop and Adam (`+ 1e-7`). Kept at this value,
 * not configurable, so the numbers match `optimizer.py`.
 */
export const EPS = 1e-7;

/**
 * Throws a readable error unless `value` is inside [min, max) (or (min, max) when `openMin`) and
 * finite in f32 (the kernels compute in f64 but the parameters they move are f32: an lr of 1e39
 * turns every weight into ±Infinity).
 */
function checkHyper(owner: string, name: string, value: number, min: number, max: number, openMin: boolean): number {
  const ok = typeof value === 'number' && (openMin ? value > min : value >= min) && value < max;
  if (!ok) {
    const range = max === Infinity ? (openMin ? `> ${min}` : `≥ ${min}`) : `in ${openMin ? '(' : '['}${min}, ${max})`;
    throw new Error(`new ${owner}({ ${name} }): expected a number ${range}, got ${value}`);
  }
  return checkF32(`new ${owner}({ ${name} })`, name, value);
}

/**
 * Base of the stateful optimizers: checks params against grads and keeps, per parameter key, the
 * state tensors (`v`, `h`, `m`), created as zeros on the param's backend on first use (the book's
 * `np.zeros_like` on the first call) and reused afterwards, so training steps allocate nothing.
 */
abstract class StatefulOptimizer implements Optimizer {
  #lr: number;
  /** "Adam.lr": named once, not per step (a schedule sets lr before every update). */
  readonly #lrWhere: string;
  readonly #state = new Map<string, Tensor[]>();

  constructor(
    owner: string,
    lr: number,
    private readonly stateCount: number,
  ) {
    this.#lr = checkHyper(owner, 'lr', lr, 0, Infinity, true);
    this.#lrWhere = `${new.target.name}.lr`;
  }

  /** The learning rate; assigning it (a schedule) takes effect at the next update. */
  get lr(): number {
    return this.#lr;
  }
  set lr(lr: number) {
    this.#lr = checkLr(this.#lrWhere, lr);
  }

  update(params: Params, grads: Params): void {
    checkUpdateArgs(this.constructor.name, params, grads);
    this.beginStep();
    for (const [key, grad] of Object.entries(grads)) {
      const param = checkPair(this.constructor.name, params, key, grad);
      this.step(param, grad, this.#stateFor(key, param));
    }
  }

  dispose(): void {
    for (const states of this.#state.values()) for (const s of states) s.dispose();
    this.#state.clear();
  }

  /**
   * @internal For saveModel / loadModel: the state tensors per param key, in the order `step`
   * takes them (Adam: m, v). The optimizer owns them; loadModel puts restored ones here.
   */
  get stateTensors(): Map<string, Tensor[]> {
    return this.#state;
  }

  /** Called once per `update`, before the per-key steps (Adam counts its steps here). */
  protected beginStep(): void {}
  protected abstract step(param: Tensor, grad: Tensor, state: Tensor[]): void;

  #stateFor(key: string, param: Tensor): Tensor[] {
    let states = this.#state.get(key);
    if (states && states[0].backend === param.backend && sameShape(states[0].shape, param.shape) && !states[0].disposed) return states;
    if (states) for (const s of states) s.dispose(); // the param was replaced by one of another shape or backend
    states = Array.from({ length: this.stateCount }, () => param.backend.zeros(param.shape));
    this.#state.set(key, states);
    return states;
  }
}

/** Momentum (§6.1.4): v ← momentum·v − lr·∂L/∂W; W ← W + v. Defaults as in the book: lr 0.01, momentum 0.9. */
export class Momentum extends StatefulOptimizer {
  readonly momentum: number;
  constructor(options: { lr?: number; momentum?: number } = {}) {
    const { lr = 0.01, momentum = 0.9 } = checkOptions(new.target.name, options);
    super('Momentum', lr, 1);
    this.momentum = checkHyper('Momentum', 'momentum', momentum, 0, 1, false);
  }
  protected step(param: Tensor, grad: Tensor, [v]: Tensor[]): void {
    param.backend.momentum(this.lr, this.momentum, param, grad, v);
  }
}

/**
 * Nesterov's accelerated gradient in the form of the book's current optimizer.py (after
 * http://arxiv.org/abs/1212.0901): W ← W + momentum²·v − (1 + momentum)·lr·g with the previous
 * v, then v ← momentum·v − lr·g.
 */
export class Nesterov extends StatefulOptimizer {
  readonly momentum: number;
  constructor(options: { lr?: number; momentum?: number } = {}) {
    const { lr = 0.01, momentum = 0.9 } = checkOptions(new.target.name, options);
    super('Nesterov', lr, 1);
    this.momentum = checkHyper('Nesterov', 'momentum', momentum, 0, 1, false);
  }
  protected step(param: Tensor, grad: Tensor, [v]: Tensor[]): void {
    param.backend.nesterov(this.lr, this.momentum, param, grad, v);
  }
}

/** AdaGrad (§6.1.5): h ← h + g²; W ← W − lr·g / (√h + 1e-7). Default lr 0.01. */
export class AdaGrad extends StatefulOptimizer {
  constructor(options: { lr?: number } = {}) {
    const { lr = 0.01 } = checkOptions(new.target.name, options);
    super('AdaGrad', lr, 1);
  }
  protected step(param: Tensor, grad: Tensor, [h]: Tensor[]): void {
    param.backend.adagrad(this.lr, EPS, param, grad, h);
  }
}

/** RMSprop (optimizer.py): h ← decay·h + (1 − decay)·g²; W ← W − lr·g / (√h + 1e-7). Defaults lr 0.01, decayRate 0.99. */
export class RMSprop extends StatefulOptimizer {
  readonly decayRate: number;
  constructor(options: { lr?: number; decayRate?: number } = {}) {
    const { lr = 0.01, decayRate = 0.99 } = checkOptions(new.target.name, options);
    super('RMSprop', lr, 1);
    this.decayRate = checkHyper('RMSprop', 'decayRate', decayRate, 0, 1, false);
  }
  protected step(param: Tensor, grad: Tensor, [h]: Tensor[]): void {
    param.backend.rmsprop(this.lr, this.decayRate, EPS, param, grad, h);
  }
}

/**
 * Adam (§6.1.6, http://arxiv.org/abs/1412.6980v8) as the book writes it: per update t,
 * lr_t = lr·√(1 − β2^t) / (1 − β1^t); m ← m + (1 − β1)(g − m); v ← v + (1 − β2)(g² − v);
 * W ← W − lr_t·m / (√v + 1e-7). Defaults lr 0.001, beta1 0.9, beta2 0.999.
 */
export class Adam extends StatefulOptimizer {
  readonly beta1: number;
  readonly beta2: number;
  /** Updates done so far (the book's `self.iter`). */
  iter = 0;
  #lrT = 0;
  constructor(options: { lr?: number; beta1?: number; beta2?: number } = {}) {
    const { lr = 0.001, beta1 = 0.9, beta2 = 0.999 } = checkOptions(new.target.name, options);
    super('Adam', lr, 2);
    this.beta1 = checkHyper('Adam', 'beta1', beta1, 0, 1, false);
    this.beta2 = checkHyper('Adam', 'beta2', beta2, 0, 1, false);
  }
  protected override beginStep(): void {
    this.iter++;
    this.#lrT = (this.lr * Math.sqrt(1 - this.beta2 ** this.iter)) / (1 - this.beta1 ** this.iter);
  }
  protected step(param: Tensor, grad: Tensor, [m, v]: Tensor[]): void {
    param.backend.adam(this.#lrT, this.beta1, this.beta2, EPS, param, grad, m, v);
  }
}

/** The optimizers by the names the CLI and the demo page use. */
export const OPTIMIZERS = ['sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** An optimizer by name, with the book's defaults for everything but `lr` (when given). */
export function createOptimizer(name: OptimizerName, options: { lr?: number } = {}): Optimizer {
  switch (name) {
    case 'sgd':
      return new SGD(options);
    case 'momentum':
      return new Momentum(options);
    case 'nesterov':
      return new Nesterov(options);
    case 'adagrad':
      return new AdaGrad(options);
    case 'rmsprop':
      return new RMSprop(options);
    case 'adam':
      return new Adam(options);
    default:
      throw new Error(`createOptimizer: expected one of ${OPTIMIZERS.join(', ')}, got ${JSON.stringify(name)}`);
  }
}
