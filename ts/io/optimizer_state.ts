import { AdaGrad, Adam, Momentum, Nesterov, RMSprop, SGD, type Optimizer } from '../training/optimizers.js';
import type { Tensor } from '../core/tensor.js';
import type { ParamSpec } from './architecture.js';

/**
 * An optimizer as JSON (its class and hyper-parameters, and Adam's step count) plus its state
 * tensors, named `optimizer.<state>.<param>` (`optimizer.m.W1`), so a loaded model resumes
 * training exactly where the saved one stopped.
 */
export interface OptimizerSpec {
  type: string;
  [field: string]: unknown;
}

interface OptimizerKind {
  readonly type: string;
  readonly ctor: new (options: Record<string, number>) => Optimizer;
  /** Constructor options, saved and passed back. */
  readonly hyper: readonly string[];
  /** The state tensors per param, in the order the optimizer keeps them. */
  readonly state: readonly string[];
  /**
   * The states that are (running) sums or means of squared gradients, so never negative: the
   * update divides by √ of them, and one negative element makes its weight NaN.
   */
  readonly squares: readonly string[];
}

const OPTIMIZER_KINDS: readonly OptimizerKind[] = [
  { type: 'SGD', ctor: SGD, hyper: ['lr'], state: [], squares: [] },
  { type: 'Momentum', ctor: Momentum, hyper: ['lr', 'momentum'], state: ['v'], squares: [] },
  { type: 'Nesterov', ctor: Nesterov, hyper: ['lr', 'momentum'], state: ['v'], squares: [] },
  { type: 'AdaGrad', ctor: AdaGrad, hyper: ['lr'], state: ['h'], squares: ['h'] },
  { type: 'RMSprop', ctor: RMSprop, hyper: ['lr', 'decayRate'], state: ['h'], squares: ['h'] },
  { type: 'Adam', ctor: Adam, hyper: ['lr', 'beta1', 'beta2'], state: ['m', 'v'], squares: ['v'] },
];

const PREFIX = 'optimizer.';

/** The state map of a stateful optimizer (see `stateTensors` in optim.ts); SGD has none. */
function stateMap(optimizer: Optimizer): Map<string, Tensor[]> | null {
  return (optimizer as { stateTensors?: Map<string, Tensor[]> }).stateTensors ?? null;
}

/** The spec and named state tensors of `optimizer`, checked against the net's params. */
export function describeOptimizer(
  optimizer: Optimizer,
  params: Record<string, Tensor>,
): { spec: OptimizerSpec; tensors: { name: string; tensor: Tensor }[] } {
  const kind = OPTIMIZER_KINDS.find((k) => optimizer?.constructor === k.ctor);
  if (!kind)
    throw new Error(
      `saveModel: cannot save the optimizer ${describeValue(optimizer)} (known: ${OPTIMIZER_KINDS.map((k) => k.type).join(', ')})`,
    );
  const spec: OptimizerSpec = { type: kind.type };
  for (const h of kind.hyper) spec[h] = (optimizer as unknown as Record<string, number>)[h];
  if (optimizer instanceof Adam) spec.iter = optimizer.iter;
  const tensors: { name: string; tensor: Tensor }[] = [];
  for (const [key, states] of stateMap(optimizer) ?? []) {
    if (!params[key])
      throw new Error(
        `saveModel: the optimizer has state for '${key}', which is not a parameter of the net (${Object.keys(params).join(', ')})`,
      );
    if (states.length !== kind.state.length)
      throw new Error(
        `saveModel: ${kind.type} keeps ${states.length} state tensors per parameter; this version saves ${kind.state.join(', ')}`,
      );
    states.forEach((tensor, i) => tensors.push({ name: `${PREFIX}${kind.state[i]}.${key}`, tensor }));
  }
  return { spec, tensors };
}

/** True for the names of optimizer state tensors. */
export function isOptimizerTensor(name: string): boolean {
  return name.startsWith(PREFIX);
}

/**
 * Checks an optimizer spec read from a file and the state tensor names the file has, against
 * the net's params, and makes the optimizer (its constructor checks the hyper-parameters; it
 * allocates nothing); returns it and the state tensors expected (all the state of a param, or
 * none of it).
 */
export function checkOptimizer(
  value: unknown,
  stateNames: readonly string[],
  params: readonly ParamSpec[],
): { optimizer: Optimizer; expected: ParamSpec[] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('loadModel: the optimizer metadata must be a JSON object { type, lr, … }');
  const spec = value as OptimizerSpec;
  const kind = OPTIMIZER_KINDS.find((k) => k.type === spec.type);
  if (!kind)
    throw new Error(
      `loadModel: unknown optimizer type ${JSON.stringify(spec.type)} (known: ${OPTIMIZER_KINDS.map((k) => k.type).join(', ')})`,
    );
  const allowed = new Set(['type', ...kind.hyper, ...(kind.ctor === Adam ? ['iter'] : [])]);
  for (const [field, v] of Object.entries(spec)) {
    if (!allowed.has(field)) throw new Error(`loadModel: ${kind.type} has no field '${field}' (expected ${[...allowed].join(', ')})`);
    if (field !== 'type' && typeof v !== 'number')
      throw new Error(`loadModel: ${kind.type}.${field} must be a number, got ${JSON.stringify(v)}`);
  }
  if (kind.ctor === Adam && !(Number.isSafeInteger(spec.iter) && (spec.iter as number) >= 0)) {
    throw new Error(`loadModel: Adam.iter must be a non-negative integer, got ${JSON.stringify(spec.iter)}`);
  }
  const options: Record<string, number> = {};
  for (const h of kind.hyper) if (spec[h] !== undefined) options[h] = spec[h] as number;
  let optimizer: Optimizer;
  try {
    optimizer = new kind.ctor(options);
  } catch (e) {
    throw new Error(`loadModel: __metadata__.optimizer: ${(e as Error).message}`);
  }
  if (optimizer instanceof Adam) optimizer.iter = spec.iter as number;
  const keysWithState = new Set<string>();
  for (const name of stateNames) {
    const rest = name.slice(PREFIX.length);
    const dot = rest.indexOf('.');
    const [state, key] = [rest.slice(0, dot), rest.slice(dot + 1)];
    if (dot < 0 || !kind.state.includes(state))
      throw new Error(`loadModel: tensor '${name}' is not state of a ${kind.type} (expected ${PREFIX}{${kind.state.join(',')}}.<param>)`);
    if (!params.some((p) => p.name === key))
      throw new Error(`loadModel: tensor '${name}' is optimizer state for '${key}', which is not a parameter of the net`);
    keysWithState.add(key);
  }
  // Adam's first update makes m and v for every param it gets a gradient for: after one, the
  // file must hold some (without them the loaded Adam would restart its averages at iter > 0)
  if (optimizer instanceof Adam && optimizer.iter > 0 && keysWithState.size === 0) {
    throw new Error(
      `loadModel: __metadata__.optimizer says Adam has done ${optimizer.iter} updates, but the file has none of its state (expected tensors ${PREFIX}m.<param> and ${PREFIX}v.<param>)`,
    );
  }
  const expected = params
    .filter((p) => keysWithState.has(p.name))
    .flatMap((p) =>
      kind.state.map((state) => ({
        name: `${PREFIX}${state}.${p.name}`,
        shape: p.shape,
        ...(kind.squares.includes(state) ? { nonNegative: `${kind.type}'s ${state}, built from squared gradients` } : {}),
      })),
    );
  return { optimizer, expected };
}

/** Gives a checked optimizer its state from `state` (tensors by name, owned by it from now on). */
export function setOptimizerState(optimizer: Optimizer, state: ReadonlyMap<string, Tensor>): Optimizer {
  const kind = OPTIMIZER_KINDS.find((k) => optimizer.constructor === k.ctor)!;
  const map = stateMap(optimizer);
  const perKey = new Map<string, Tensor[]>();
  for (const [name, tensor] of state) {
    const rest = name.slice(PREFIX.length);
    const dot = rest.indexOf('.');
    const key = rest.slice(dot + 1);
    const list = perKey.get(key) ?? new Array<Tensor>(kind.state.length);
    list[kind.state.indexOf(rest.slice(0, dot))] = tensor;
    perKey.set(key, list);
  }
  for (const [key, list] of perKey) map!.set(key, list);
  return optimizer;
}

function describeValue(value: unknown): string {
  if (value === null || typeof value !== 'object') return String(value);
  return `a ${value.constructor?.name ?? 'object'}`;
}
