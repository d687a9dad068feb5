/**
 * The MNIST CLI's options: parsed and checked here, apart from the training, so the errors
 * ("--hidden: expected ..., found ...") are testable without running anything.
 */
import { parseArgs } from 'node:util';
import { OPTIMIZERS, type OptimizerName, type WeightInit } from '../ts/index.js';
import { DEFAULT_CONFIG, DEFAULT_EPOCHS, type TrainConfig } from './trainer.js';

export interface CliOptions {
  backend: 'wasm' | 'ts';
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

export const USAGE = `Train an MLP on MNIST with backprop-wasm.

Usage: npm run mnist -- [options]

  --backend wasm|ts     kernels: Rust→WebAssembly SIMD, or pure TypeScript     (default wasm)
  --hidden 256,128      hidden layer sizes, comma-separated                    (default ${DEFAULT_CONFIG.hidden.join(',')})
  --epochs N            passes over the training set; 0 only evaluates         (default ${DEFAULT_EPOCHS})
  --batch N             minibatch size                                         (default ${DEFAULT_CONFIG.batch})
  --lr X                learning rate                                          (default ${DEFAULT_CONFIG.lr})
  --optimizer NAME      ${OPTIMIZERS.join('|')}          (default ${DEFAULT_CONFIG.optimizer})
  --init he|xavier|std  weight init; std is the book's 0.01, or give a number  (default ${DEFAULT_CONFIG.init})
  --seed N              seed of init and shuffling: same seed, same numbers    (default ${DEFAULT_CONFIG.seed})
  --data DIR            the four standard MNIST IDX files (plain or .gz) instead
                        of the embedded 10,000 digits (8,000 train / 2,000 test)
  --json                print one JSON summary object on stdout (progress goes to stderr)
  --compare             train the same seeded net on wasm and ts; print the speed-up
  --load FILE           start from a saved model (.safetensors; its optimizer state too)
  --save FILE           save the trained model and optimizer state (.safetensors)
  --help                this text`;

export function parseCli(argv: string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        backend: { type: 'string', default: 'wasm' },
        hidden: { type: 'string', default: DEFAULT_CONFIG.hidden.join(',') },
        epochs: { type: 'string', default: String(DEFAULT_EPOCHS) },
        batch: { type: 'string', default: String(DEFAULT_CONFIG.batch) },
        lr: { type: 'string', default: String(DEFAULT_CONFIG.lr) },
        optimizer: { type: 'string', default: DEFAULT_CONFIG.optimizer },
        init: { type: 'string', default: String(DEFAULT_CONFIG.init) },
        seed: { type: 'string', default: String(DEFAULT_CONFIG.seed) },
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
  const backend = parsed.backend;
  if (backend !== 'wasm' && backend !== 'ts') throw new Error(`--backend: expected wasm or ts, found ${JSON.stringify(backend)}`);
  const optimizer = parsed.optimizer as OptimizerName;
  if (!OPTIMIZERS.includes(optimizer)) throw new Error(`--optimizer: expected one of ${OPTIMIZERS.join(', ')}, found ${JSON.stringify(parsed.optimizer)}`);
  if (parsed.compare && parsed.save !== undefined) throw new Error('--save: cannot save with --compare, which trains two nets; save one run at a time');
  if (parsed.compare && parsed.epochs?.trim() === '0') throw new Error('--compare: measures training speed, so it needs --epochs 1 or more, found 0');
  return {
    backend,
    config: {
      hidden: parseHidden(parsed.hidden!),
      batch: positiveInt('--batch', parsed.batch!),
      lr: positiveNumber('--lr', parsed.lr!),
      optimizer,
      init: parseInit(parsed.init!),
      seed: integer('--seed', parsed.seed!),
    },
    epochs: count('--epochs', parsed.epochs!),
    data: parsed.data ?? null,
    json: parsed.json!,
    compare: parsed.compare!,
    help: parsed.help!,
    load: parsed.load ?? null,
    save: parsed.save ?? null,
  };
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

function positiveInt(name: string, text: string): number {
  const v = Number(text);
  if (!(/^\d+$/.test(text.trim()) && Number.isSafeInteger(v) && v > 0)) throw new Error(`${name}: expected a positive integer, found ${JSON.stringify(text)}`);
  return v;
}

function count(name: string, text: string): number {
  return text.trim() === '0' ? 0 : positiveInt(name, text);
}

function positiveNumber(name: string, text: string): number {
  const v = Number(text);
  if (!(text.trim() !== '' && Number.isFinite(v) && v > 0)) throw new Error(`${name}: expected a positive number, found ${JSON.stringify(text)}`);
  return v;
}

function integer(name: string, text: string): number {
  const v = Number(text);
  if (!(/^-?\d+$/.test(text.trim()) && Number.isSafeInteger(v))) throw new Error(`${name}: expected an integer, found ${JSON.stringify(text)}`);
  return v;
}
