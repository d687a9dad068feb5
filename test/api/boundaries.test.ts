import { describe, expect, it } from 'vitest';
import { parseCli } from '../../demo/cli_args.js';
import {
  AdaGrad,
  Adam,
  BatchNormalization,
  createBackend,
  Dropout,
  Momentum,
  Nesterov,
  Pooling,
  RMSprop,
  Sequential,
  SGD,
  SimpleConvNet,
  type Backend,
} from '../../ts/index.js';
import { checkDimension, checkLabels, firstNegative, MAX_DIMENSION } from '../../ts/core/checks.js';
import { checkWindow } from '../../ts/core/window.js';
import { F32_MAX } from '../../ts/core/values.js';
import type { Json } from '../helpers/json.js';

// Issue 19.8: every limit of the argument checks (ts/core/checks.ts, the layer and optimizer
// constructors, the CLI's number flags) pinned from both sides: the values at the limit are
// accepted and the first ones past it refused, so an off-by-one (`<` for `<=`, `>` for `>=`) in
// any of them fails a row here. "Just past" for a real-valued limit is the next representable
// value that the check must refuse (1e-9 below 0, F32_OVER above the largest f32).

/** The smallest double above F32_MAX that rounds to Infinity in f32 (halfway to 2^128). */
const F32_OVER = 3.4028235677973366e38;
/** The largest double below 1. */
const BELOW_ONE = 1 - 2 ** -53;

interface Row {
  name: string;
  check: (v: Json) => unknown;
  accepts: unknown[];
  refuses: unknown[];
  /** What the refusal says (a part of it). */
  message: string | RegExp;
}

function pin(rows: Row[]): void {
  for (const row of rows) {
    for (const v of row.accepts) expect(() => row.check(v), `${row.name} accepts ${String(v)}`).not.toThrow();
    for (const v of row.refuses) expect(() => row.check(v), `${row.name} refuses ${String(v)}`).toThrow(row.message);
  }
}

let backend: Backend;
const tsBackend = () => createBackend('ts').then((b) => (backend = b));

describe('library argument checks at their limits', () => {
  it('ts/core/checks.ts: dimensions, class labels, non-negative values', () => {
    pin([
      {
        name: 'checkDimension',
        check: (d) => checkDimension('t', 'd', d),
        accepts: [0, 1, MAX_DIMENSION],
        refuses: [-1, MAX_DIMENSION + 1, 0.5, NaN],
        message: `expected d to be an integer from 0 to ${MAX_DIMENSION}`,
      },
      {
        name: 'checkLabels (3 classes)',
        check: (v) => checkLabels('t', Float32Array.of(v), 3),
        accepts: [0, 1, 2],
        refuses: [-1, 3, 0.5, NaN],
        message: 'expected class indices (integers in 0..2)',
      },
    ]);
    expect([0, -0, 1e-45].map((v) => firstNegative([v]))).toEqual([-1, -1, -1]);
    expect([-1e-45, NaN, -Infinity].map((v) => firstNegative([1, v]))).toEqual([1, 1, 1]);
  });

  it('optimizer hyper-parameters: lr > 0 and finite in f32, momentum / decay / β in [0, 1)', () => {
    const fraction = (name: string, ctor: new (o: Json) => unknown, field: string): Row => ({
      name,
      check: (v) => new ctor({ [field]: v }),
      accepts: [0, 0.5, BELOW_ONE],
      refuses: [-1e-9, 1, 1 + 1e-9],
      message: `new ${name}({ ${field} }): expected a number in [0, 1), got`,
    });
    const lr = (name: string, ctor: new (o: Json) => unknown): Row => ({
      name: `${name} lr`,
      check: (v) => new ctor({ lr: v }),
      accepts: [Number.MIN_VALUE, 1e-45, 1, F32_MAX],
      refuses: [0, -0, -1e-45, F32_OVER, Infinity, NaN],
      message: `new ${name}({ lr })`,
    });
    pin([
      lr('SGD', SGD),
      lr('Momentum', Momentum),
      lr('Nesterov', Nesterov),
      lr('AdaGrad', AdaGrad),
      lr('RMSprop', RMSprop),
      lr('Adam', Adam),
      fraction('Momentum', Momentum, 'momentum'),
      fraction('Nesterov', Nesterov, 'momentum'),
      fraction('RMSprop', RMSprop, 'decayRate'),
      fraction('Adam', Adam, 'beta1'),
      fraction('Adam', Adam, 'beta2'),
    ]);
  });

  it('Dropout ratio in [0, 1) and seed in [0, 2^32); BatchNormalization momentum in [0, 1] and running variance ≥ 0; weight decay λ ≥ 0 and finite in f32', async () => {
    await tsBackend();
    const norm = (options: object) => new BatchNormalization(backend.zeros([2]), backend.zeros([2]), options).dispose();
    pin([
      {
        name: 'Dropout ratio',
        check: (ratio) => new Dropout({ ratio }),
        accepts: [0, 0.5, BELOW_ONE],
        refuses: [-1e-9, 1, NaN, '0.5'],
        message: 'new Dropout({ ratio }): expected a ratio from 0 up to (not including) 1',
      },
      {
        name: 'Dropout.checkRatio',
        check: (ratio) => Dropout.checkRatio('x', ratio),
        accepts: [0, BELOW_ONE],
        refuses: [-1e-9, 1],
        message: 'x: expected a ratio',
      },
      {
        name: 'Dropout seed',
        check: (seed) => new Dropout({ seed }),
        accepts: [0, 2 ** 32 - 1],
        refuses: [-1, 2 ** 32, 0.5],
        message: 'new Dropout({ seed }): expected an integer seed from 0 to 2^32 − 1',
      },
      {
        name: 'BatchNormalization momentum',
        check: (momentum) => norm({ momentum }),
        accepts: [0, 0.5, 1],
        refuses: [-1e-9, 1 + 1e-9, NaN],
        message: 'expected momentum from 0 to 1',
      },
      {
        name: 'BatchNormalization runningVar',
        check: (v) => norm({ runningVar: backend.tensor([1, v], [2]) }),
        accepts: [0, -0, 1e-30, F32_MAX],
        refuses: [-1e-30, -1],
        message: /expected runningVar to be ≥ 0 everywhere \(a variance\), got -1(e-30)?\S* at element 1/,
      },
      {
        name: 'weight decay λ',
        check: (weightDecayLambda) => Sequential.checkWeightDecayLambda('x', weightDecayLambda),
        accepts: [0, 1e-45, F32_MAX],
        refuses: [-1e-300, F32_OVER, Infinity, NaN],
        message: 'x: expected weightDecayLambda to be a number ≥ 0 within the f32 range',
      },
    ]);
  });

  it('windows: stride ≥ 1, pad ≥ 0, a window that fits the padded input; SimpleConvNet needs a 2×2 conv output for its pooling', async () => {
    await tsBackend();
    const window = (g: object) => checkWindow('t', { n: 1, c: 1, h: 4, w: 4, fh: 3, fw: 3, stride: 1, pad: 0, ...g });
    pin([
      { name: 'stride', check: (stride) => window({ stride }), accepts: [1, 2], refuses: [0], message: /stride/ },
      {
        name: 'window vs input',
        check: (fh) => window({ fh }),
        accepts: [1, 4],
        refuses: [5, 0],
        message: /does not fit a 4×4 input|at least 1×1/,
      },
      {
        name: 'window vs padded input',
        check: (fh) => window({ fh, pad: 1 }),
        accepts: [6],
        refuses: [7],
        message: 'a 7×3 filter with pad 1 does not fit a 4×4 input',
      },
      {
        name: 'Pooling stride',
        check: (stride) => new Pooling(2, 2, { stride }),
        accepts: [1],
        refuses: [0],
        message: 'expected stride to be an integer ≥ 1, got a number (0)',
      },
      {
        name: 'Pooling pad',
        check: (pad) => new Pooling(2, 2, { pad }),
        accepts: [0],
        refuses: [-1],
        message: 'expected pad to be an integer ≥ 0, got a number (-1)',
      },
      { name: 'Pooling size', check: (ph) => new Pooling(ph, 2), accepts: [1], refuses: [0], message: /≥ 1/ },
      // a 6×6 input and 5×5 filters give 2×2 (poolable); 5 high or wide: 1 output row or column, refused; 4: does not fit
      {
        name: 'SimpleConvNet height',
        check: (h) => new SimpleConvNet(backend, { inputDim: [1, h, 6], filterNum: 1, hiddenSize: 1, outputSize: 2 }).dispose(),
        accepts: [6],
        refuses: [5, 4],
        message: /too small for the 2×2 pooling|does not fit/,
      },
      {
        name: 'SimpleConvNet width',
        check: (w) => new SimpleConvNet(backend, { inputDim: [1, 6, w], filterNum: 1, hiddenSize: 1, outputSize: 2 }).dispose(),
        accepts: [6],
        refuses: [5, 4],
        message: /too small for the 2×2 pooling|does not fit/,
      },
    ]);
  });

  it('createBackend threads 1 to 64 and maxMemoryBytes 64 KiB to 4 GiB (refused before any worker starts)', async () => {
    for (const threads of [0, 65, 1.5])
      await expect(createBackend('wasm', { threads }), String(threads)).rejects.toThrow('a whole number from 1 to 64');
    // Accepted values without starting 64 workers: with the scalar build, the next check (threads
    // need SIMD128) is the one that refuses, so the range check let them through.
    const next = 'threads run on the SIMD128 build';
    for (const threads of [2, 64])
      await expect(createBackend('wasm', { threads, variant: 'scalar' }), String(threads)).rejects.toThrow(next);
    for (const maxMemoryBytes of [2 ** 16, 2 ** 32])
      await expect(createBackend('wasm', { threads: 2, variant: 'scalar', maxMemoryBytes }), String(maxMemoryBytes)).rejects.toThrow(next);
    for (const maxMemoryBytes of [2 ** 16 - 1, 2 ** 32 + 1])
      await expect(createBackend('wasm', { maxMemoryBytes }), String(maxMemoryBytes)).rejects.toThrow(
        'expected maxMemoryBytes to be an integer from 65536 (64 KiB) to 4294967296 (4 GiB)',
      );
    const one = await createBackend('wasm', { threads: 1 });
    expect(one.threads).toBe(1);
    expect((await createBackend('ts', { threads: 1 })).threadsUnavailable).toBeUndefined(); // one thread is what it has
  });
});

describe("the CLI's number flags at their limits", () => {
  const flag = (name: string) => (text: string) => parseCli([`${name}=${text}`]);
  it('integers: --threads, --batch, --epochs, --seed, --shift, --hidden', () => {
    pin([
      {
        name: '--threads',
        check: flag('--threads'),
        accepts: ['1', '64', 'auto'],
        refuses: ['0', '65', '1.5'],
        message: '--threads: expected auto or a whole number from 1 to 64',
      },
      {
        name: '--batch',
        check: flag('--batch'),
        accepts: ['1', '100'],
        refuses: ['0', '-1', '1.5'],
        message: '--batch: expected a positive integer',
      },
      {
        name: '--epochs',
        check: flag('--epochs'),
        accepts: ['0', '1'],
        refuses: ['-1', '0.5'],
        message: '--epochs: expected a whole number ≥ 0',
      },
      {
        name: '--seed',
        check: flag('--seed'),
        accepts: ['0', '4294967295'],
        refuses: ['-1', '4294967296'],
        message: '--seed: expected an integer from 0 to 4294967295',
      },
      {
        name: '--shift',
        check: flag('--shift'),
        accepts: ['0', '8'],
        refuses: ['9', '-1'],
        message: '--shift: expected a whole number of pixels from 0 to 8',
      },
      {
        name: '--hidden',
        check: flag('--hidden'),
        accepts: ['1', '1,1'],
        refuses: ['0', '1,0'],
        message: '--hidden: expected positive integer sizes',
      },
    ]);
  });

  it('numbers: --lr, --dropout, --weight-decay, --init', () => {
    pin([
      { name: '--lr', check: flag('--lr'), accepts: ['1e-45', String(F32_MAX)], refuses: ['0', '-1e-45'], message: '--lr: must be > 0' },
      {
        name: '--lr (f32)',
        check: flag('--lr'),
        accepts: [],
        refuses: [String(F32_OVER)],
        message: '--lr: new Nesterov({ lr }): expected a finite lr',
      },
      {
        name: '--dropout',
        check: flag('--dropout'),
        accepts: ['0', String(BELOW_ONE)],
        refuses: ['1', '-1e-9'],
        message: '--dropout: expected a ratio from 0 up to (not including) 1',
      },
      {
        name: '--weight-decay',
        check: flag('--weight-decay'),
        accepts: ['0', String(F32_MAX)],
        refuses: ['-1e-300', String(F32_OVER)],
        message: '--weight-decay: expected weightDecayLambda to be a number ≥ 0 within the f32 range',
      },
      {
        name: '--init',
        check: flag('--init'),
        accepts: ['1e-45', 'he'],
        refuses: ['0', '-1e-45'],
        message: '--init: expected he, xavier, std or a positive standard deviation',
      },
    ]);
  });
});
