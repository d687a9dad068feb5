import { availableParallelism } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUTO_THREADS_CAP, MAX_THREADS, parseCli, USAGE } from '../../demo/cli_args.js';
import { createBackend } from '../../ts/index.js';
import * as pool from '../../ts/wasm/threads.js';
import { CNN_EPOCHS, DEEP_CONFIG, DEEP_EPOCHS } from '../../demo/trainer.js';
import { governed, progressLine } from '../../demo/cli_progress.js';
import { runCli } from '../helpers/cli.js';

// The MNIST CLI run directly from its source (test/package/package.test.ts runs the compiled bin from the
// tarball): a short seeded run's --json summary, reproducibility, and errors for bad options.

const cli = (...args: string[]) => runCli(args);
/** The CLI with modules imported before it (e.g. one that removes SharedArrayBuffer). */
const node = (imports: string[], ...args: string[]) => runCli(args, { imports });

/** What --threads auto means on this machine: its cores, up to 8. */
const AUTO_THREADS = Math.min(8, availableParallelism());

describe('npm run mnist', () => {
  it('a short seeded run prints one JSON summary, far above chance, and repeats exactly', () => {
    const args = ['--hidden', '32', '--epochs', '1', '--seed', '7', '--json'];
    const a = cli(...args);
    expect(a.status, `${a.stderr}\n${a.stdout}`).toBe(0);
    const summary = JSON.parse(a.stdout);
    // --threads defaults to auto: the machine's cores (up to 8), all of them running
    expect(summary).toMatchObject({ threads: AUTO_THREADS, threadsUnavailable: null });
    expect(a.stderr).toMatch(new RegExp(`^wasm-\\S+ \\(${AUTO_THREADS} threads?\\): 784→32→10 MLP`));
    expect(summary).toMatchObject({
      backend: expect.stringMatching(/^wasm-/),
      sizes: [784, 32, 10],
      optimizer: 'nesterov',
      lr: 0.1,
      batch: 100,
      init: 'he',
      seed: 7,
      epochs: 1,
      steps: 80,
      data: 'embedded',
      trainCount: 8000,
      testCount: 2000,
    });
    for (const key of ['variant', 'loss', 'trainAccuracy', 'testAccuracy', 'msPerStep', 'stepsPerSecond', 'trainSeconds', 'wallSeconds'])
      expect(summary, key).toHaveProperty(key);
    expect(summary.testAccuracy).toBeGreaterThan(0.8); // chance is 0.1
    expect(summary.history).toHaveLength(1);
    expect(a.stderr).toContain('epoch 1/1'); // the human-readable lines go to stderr with --json
    const b = JSON.parse(cli(...args).stdout);
    expect([b.loss, b.trainAccuracy, b.testAccuracy]).toEqual([summary.loss, summary.trainAccuracy, summary.testAccuracy]);
  }, 120_000);

  it('trains on the TS backend with another optimizer and prints per-epoch lines', () => {
    const r = cli('--backend', 'ts', '--hidden', '16', '--epochs', '1', '--optimizer', 'adam', '--lr', '0.003', '--init', 'xavier');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ts: 784→16→10 MLP, adam lr 0.003, batch 100, init xavier, seed 42/);
    expect(r.stdout).toMatch(/epoch 1\/1 {2}loss \d\.\d{4} {2}train acc 0\.\d{4} {2}test acc 0\.\d{4} {2}\d+ steps\/s/);
    expect(r.stdout).toMatch(/done \(ts\): test accuracy 0\.\d{4}/);
  }, 120_000);

  it('--compare trains the same seeded net on wasm at 1 thread, at N threads (bitwise the same) and on ts, and reports the speed-ups', () => {
    const r = cli('--compare', '--threads', '2', '--hidden', '8', '--epochs', '1', '--json');
    expect(r.status, r.stderr).toBe(0);
    const { runs, speedup, threadSpeedup } = JSON.parse(r.stdout);
    expect(runs.map((x: { backend: string; threads: number }) => [x.backend, x.threads])).toEqual([
      ['wasm-simd128', 1],
      ['wasm-simd128', 2],
      ['ts', 1],
    ]);
    expect(speedup).toBeCloseTo(runs[2].msPerStep / runs[0].msPerStep, 10); // WASM over TS, one thread each
    expect(threadSpeedup).toBeCloseTo(runs[0].msPerStep / runs[1].msPerStep, 10);
    // threads split kernels along M or N, never K: the same sums in the same order
    expect([runs[1].loss, runs[1].trainAccuracy, runs[1].testAccuracy]).toEqual([
      runs[0].loss,
      runs[0].trainAccuracy,
      runs[0].testAccuracy,
    ]);
    expect(Math.abs(runs[0].testAccuracy - runs[2].testAccuracy)).toBeLessThan(0.01); // same seed; only f32 summation order differs
    expect(r.stderr).toMatch(
      /compare: wasm-simd128 1 thread [\d.]+ ms\/step vs 2 threads [\d.]+ ms\/step → [\d.]+× (faster|slower) on 2 threads \(the same loss and accuracy, bit for bit\)/,
    );
    expect(r.stderr).toMatch(/compare: wasm-simd128 1 thread [\d.]+ ms\/step vs ts [\d.]+ ms\/step → [\d.]+× (faster|slower) on WASM/);
    // It says what it is doing before the long part, and how long each of the three runs will take.
    expect(r.stderr).toMatch(/^compare: training the same seeded net three times, on wasm at 1 thread, at 2 threads, then on ts/);
    expect(r.stderr.match(/^\S+(, 2 threads)?: about \d+ s for 1 epoch \(\d+ steps\/s\)$/gm)).toHaveLength(3);
    expect(r.stderr).toContain('\nwasm-simd128, 2 threads: about ');
  }, 120_000);

  it('--compare on one thread (--threads 1) trains twice, wasm then ts, as before', () => {
    const r = cli('--compare', '--threads', '1', '--hidden', '8', '--epochs', '1', '--json');
    expect(r.status, r.stderr).toBe(0);
    const { runs, threadSpeedup } = JSON.parse(r.stdout);
    expect(runs.map((x: { backend: string }) => x.backend)).toEqual([expect.stringMatching(/^wasm-/), 'ts']);
    expect(threadSpeedup).toBeNull();
    expect(r.stderr).toMatch(/^compare: training the same seeded net twice, on wasm then on ts \(wasm on one thread\)/);
  }, 120_000);

  it('--threads N runs N threads; where memory cannot be shared it runs on one and says why', () => {
    const one = JSON.parse(cli('--threads', '1', '--hidden', '8', '--epochs', '1', '--json').stdout);
    expect(one).toMatchObject({ threads: 1, threadsUnavailable: null });
    const three = cli('--threads', '3', '--hidden', '8', '--epochs', '1', '--json');
    expect(JSON.parse(three.stdout)).toMatchObject({ backend: 'wasm-simd128', threads: 3, threadsUnavailable: null });
    expect(three.stderr).toMatch(/^wasm-simd128 \(3 threads\): /);
    expect(three.stderr).toContain('\ndone (wasm-simd128, 3 threads): ');
    // Node without SharedArrayBuffer: one thread, and the reason in the header line and the summary
    const r = node(
      ['data:text/javascript,delete globalThis.SharedArrayBuffer'],
      '--threads',
      '2',
      '--hidden',
      '8',
      '--epochs',
      '1',
      '--json',
    );
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ threads: 1, threadsUnavailable: expect.stringContaining('no SharedArrayBuffer') });
    expect(r.stderr).toMatch(/^wasm-\S+ \(1 thread; more are unavailable: this JavaScript engine has no SharedArrayBuffer/);
  }, 120_000);

  it('bad options say what was expected and what was found, with exit code 2', () => {
    const r = cli('--optimizer', 'adamw');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('mnist: --optimizer: expected one of sgd, momentum, nesterov, adagrad, rmsprop, adam, found "adamw"');
    expect(cli('--frobnicate').stderr).toContain("Unknown option '--frobnicate'");
    expect(cli('--data', '/nonexistent/mnist').stderr).toContain(
      '--data /nonexistent/mnist: expected a directory with the four MNIST IDX files',
    );
  }, 120_000);

  it('--model cnn trains SimpleConvNet: one epoch is far above chance', () => {
    const r = cli('--model', 'cnn', '--epochs', '1', '--json');
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ model: 'cnn', optimizer: 'adam', lr: 0.001, init: 'he', epochs: 1, steps: 80 });
    expect(summary.testAccuracy).toBeGreaterThan(0.85);
    expect(r.stderr).toContain('SimpleConvNet (conv 30×5×5 → relu → pool 2×2 → 100 → 10), adam lr 0.001');
  }, 120_000);

  it('--model deep trains the DeepConvNet: one epoch (cosine over it) is far above chance', () => {
    const r = cli('--model', 'deep', '--epochs', '1', '--json');
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ model: 'deep', optimizer: 'adam', lr: DEEP_CONFIG.lr, lrSchedule: 'cosine', epochs: 1 });
    expect(summary.steps).toBe(8000 / DEEP_CONFIG.batch);
    expect(summary.sizes).toEqual([784, 50, 10]);
    expect(summary.testAccuracy).toBeGreaterThan(0.5);
    expect(r.stderr).toContain(
      `DeepConvNet (conv 16, 16, 32, 32, 64, 64 ×3×3 → 3 pools → 50 → 10, dropout ${DEEP_CONFIG.dropout}), adam lr ${DEEP_CONFIG.lr} (cosine over 1 epoch), batch ${DEEP_CONFIG.batch}, augmented (shift 2, rotate 15, scale 0.15, elastic 1)`,
    );
  }, 300_000);

  it('--help lists every option', () => {
    const r = cli('--help');
    expect(r.stdout).toMatch(/--threads N\|auto +threads for the wasm kernels.*\(default auto\)/);
    for (const o of [
      '--backend',
      '--threads',
      '--model',
      '--shift',
      '--rotate',
      '--scale',
      '--elastic',
      '--dropout',
      '--hidden',
      '--epochs',
      '--batch',
      '--lr',
      '--lr-schedule',
      '--optimizer',
      '--init',
      '--seed',
      '--data',
      '--json',
      '--compare',
    ])
      expect(r.stdout).toContain(o);
  }, 60_000);
});

describe('option parsing', () => {
  it('reads lists, numbers and init names', () => {
    const o = parseCli(['--hidden', '256, 128', '--lr', '0.05', '--init', 'std', '--batch', '64', '--seed=3']);
    expect(o.config).toEqual({
      model: 'mlp',
      hidden: [256, 128],
      lr: 0.05,
      init: 0.01,
      batch: 64,
      seed: 3,
      optimizer: 'nesterov',
      lrSchedule: 'constant',
      epochs: 10,
      shift: 0,
      rotate: 0,
      scale: 0,
      elastic: 0,
      dropout: 0,
      batchnorm: false,
      weightDecay: 0,
    });
    expect(parseCli(['--seed', '4294967295']).config.seed).toBe(2 ** 32 - 1);
    expect(parseCli(['--init', '0.02']).config.init).toBe(0.02);
  });

  it('--model cnn takes the CNN recipe, and what is given overrides it', () => {
    const o = parseCli(['--model', 'cnn']);
    expect(o.config).toMatchObject({ model: 'cnn', optimizer: 'adam', lr: 0.001, init: 'he', shift: 2 });
    expect(o.epochs).toBe(CNN_EPOCHS);
    expect(parseCli(['--model', 'cnn', '--lr', '0.002', '--init', 'std', '--shift', '0', '--epochs', '3'])).toMatchObject({
      epochs: 3,
      config: { lr: 0.002, init: 0.01, shift: 0 },
    });
    expect(parseCli([]).config).toMatchObject({ model: 'mlp', optimizer: 'nesterov', lr: 0.1, shift: 0 });
    expect(() => parseCli(['--model', 'rnn'])).toThrow('--model: expected mlp, cnn, deep, found "rnn"');
    expect(parseCli(['--model', 'cnn', '--save', 'x.safetensors', '--load', 'y.safetensors'])).toMatchObject({
      save: 'x.safetensors',
      load: 'y.safetensors',
      config: { model: 'cnn' },
    });
    expect(() => parseCli(['--load', 'y.safetensors', '--init', 'std'])).toThrow(
      '--load: the net comes from the file (its sizes, init and layers), so --init cannot apply; leave it out',
    );
    expect(() => parseCli(['--shift', '9'])).toThrow('--shift: expected a whole number of pixels from 0 to 8, found "9"');
    expect(parseCli(['--rotate', '12.5', '--scale', '0.1']).config).toMatchObject({ rotate: 12.5, scale: 0.1 });
    expect(() => parseCli(['--rotate', '46'])).toThrow('--rotate: expected degrees from 0 to 45, found "46"');
    expect(() => parseCli(['--scale', '-0.1'])).toThrow('--scale: expected a relative size change from 0 to 0.5, found "-0.1"');
    expect(() => parseCli(['--scale', 'big'])).toThrow('--scale: expected a number, found "big"');
    expect(parseCli(['--elastic', '1.5']).config.elastic).toBe(1.5);
    expect(parseCli(['--model', 'deep', '--elastic', '0']).config.elastic).toBe(0);
    expect(() => parseCli(['--elastic', '5'])).toThrow('--elastic: expected pixels from 0 to 4, found "5"');
  });

  it('--model deep takes the DeepConvNet recipe (cosine lr over its epochs), and what is given overrides it', () => {
    const o = parseCli(['--model', 'deep']);
    expect(o.config).toMatchObject({ ...DEEP_CONFIG, hidden: o.config.hidden, epochs: DEEP_EPOCHS }); // hidden does not apply
    expect(o.config).toMatchObject({ model: 'deep', optimizer: 'adam', init: 'he', lrSchedule: 'cosine' });
    expect(o.epochs).toBe(DEEP_EPOCHS);
    expect(o.config.epochs).toBe(DEEP_EPOCHS); // the schedule spans the run
    expect(parseCli(['--model', 'deep', '--lr-schedule', 'constant', '--epochs', '3', '--lr', '0.002']).config).toMatchObject({
      lrSchedule: 'constant',
      epochs: 3,
      lr: 0.002,
    });
    expect(parseCli(['--lr-schedule', 'cosine']).config).toMatchObject({ model: 'mlp', lrSchedule: 'cosine' });
    expect(parseCli(['--model', 'deep', '--epochs', '0']).config.lrSchedule).toBe('constant'); // evaluation only: nothing to schedule
    expect(() => parseCli(['--lr-schedule', 'step'])).toThrow('--lr-schedule: expected constant or cosine, found "step"');
    expect(() => parseCli(['--model', 'deep', '--hidden', '50'])).toThrow(
      "--model deep: the book's DeepConvNet is built as it is (6 conv 3×3 → 3 pools → 50 → dropout → 10 → dropout), so --hidden cannot apply (it is for --model mlp); leave it out",
    );
    expect(() => parseCli(['--model', 'deep', '--dropout', '0.1', '--batchnorm'])).toThrow(
      'so --batchnorm cannot apply (it is for --model mlp); leave it out',
    );
    // --dropout sets the ratio of the DeepConvNet's two Dropout layers (the recipe's is the book's 0.5)
    expect(parseCli(['--model', 'deep', '--dropout', '0.25']).config.dropout).toBe(0.25);
    expect(parseCli(['--model', 'deep']).config.dropout).toBe(DEEP_CONFIG.dropout);
    expect(USAGE).toMatch(/--model mlp\|cnn\|deep .*deep: its DeepConvNet .*cosine lr/);
    expect(USAGE).toMatch(/--lr-schedule constant\|cosine +the learning rate over the run.*\(default constant\)/);
  });

  it('rejects malformed values with expected-vs-found messages', () => {
    expect(() => parseCli(['--hidden', '0'])).toThrow(
      '--hidden: expected positive integer sizes separated by commas (e.g. 50 or 256,128), found "0"',
    );
    expect(() => parseCli(['--epochs', '1.5'])).toThrow('--epochs: expected a whole number ≥ 0, found "1.5"');
    // 0 is allowed (it only evaluates), so "positive integer" was wrong for -1
    expect(() => parseCli(['--epochs', '-1'])).toThrow('--epochs: expected a whole number ≥ 0, found "-1"');
    expect(parseCli(['--epochs', '0']).epochs).toBe(0);
    expect(() => parseCli(['--lr=-1'])).toThrow('--lr: must be > 0, found "-1"');
    // A negative value after a space is a value, not an unknown option ("argument is ambiguous").
    expect(() => parseCli(['--lr', '-1'])).toThrow('--lr: must be > 0, found "-1"');
    expect(() => parseCli(['--seed', '-1'])).toThrow('--seed: expected an integer from 0 to 4294967295, found "-1"');
    // Seeds were silently taken mod 2^32 (42 and 2^32 + 42 gave the same run).
    expect(() => parseCli(['--seed', '4294967338'])).toThrow('--seed: expected an integer from 0 to 4294967295, found "4294967338"');
    expect(() => parseCli(['--backend', 'gpu'])).toThrow('--backend: expected wasm or ts, found "gpu"');
    expect(() => parseCli(['--init', 'glorot'])).toThrow(
      '--init: expected he, xavier, std or a positive standard deviation, found "glorot"',
    );
    expect(() => parseCli(['--seed', 'x'])).toThrow('--seed: expected an integer, found "x"');
  });

  it('--threads: auto by default, a count from 1 to 64, not with --backend ts', async () => {
    // the CLI's copy of the library's limits
    expect(AUTO_THREADS_CAP).toBe(pool.AUTO_THREADS_CAP);
    await expect(createBackend('wasm', { threads: MAX_THREADS + 1 })).rejects.toThrow(
      `a whole number from 1 to ${MAX_THREADS}, got a number (${MAX_THREADS + 1})`,
    );
    expect(parseCli([]).threads).toBe('auto');
    expect(parseCli(['--threads', 'auto']).threads).toBe('auto');
    expect(parseCli(['--threads', '3']).threads).toBe(3);
    expect(parseCli(['--threads=64']).threads).toBe(64);
    for (const bad of ['0', '-1', '1.5', 'abc', '65', '', '2x']) {
      expect(() => parseCli(['--threads', bad]), bad).toThrow(
        `--threads: expected auto or a whole number from 1 to 64, found ${JSON.stringify(bad)}`,
      );
    }
    expect(() => parseCli(['--backend', 'ts', '--threads', '2'])).toThrow(
      '--threads: the ts backend runs on one thread; threads are for --backend wasm (found --backend ts --threads 2)',
    );
    expect(parseCli(['--backend', 'ts', '--threads', '1'])).toMatchObject({ backend: 'ts', threads: 1 }); // what createBackend('ts', { threads: 1 }) takes
    expect(parseCli(['--backend', 'ts']).backend).toBe('ts'); // the default auto is no error
    expect(parseCli(['--compare', '--threads', '2']).threads).toBe(2); // --compare runs wasm too
  });
});

describe('what the CLI prints', () => {
  it('the help table has one column of descriptions, whatever the flag or default', () => {
    const rows = USAGE.split('\n').filter((l) => l.startsWith('  --'));
    expect(rows.length).toBeGreaterThanOrEqual(12);
    const starts = rows.map((l) => l.slice(2).search(/ {2}\S/) + 4);
    expect(new Set(starts).size).toBe(1);
    expect(USAGE).toContain(
      `--optimizer NAME${' '.repeat(starts[0] - 2 - '--optimizer NAME'.length)}sgd|momentum|nesterov|adagrad|rmsprop|adam (default nesterov)`,
    );
  });

  it('fits the progress line to the terminal width so it never wraps', () => {
    const p = { epoch: 3, epochs: 10, done: 40, total: 80, loss: 0.1234, stepsPerSecond: 321 };
    for (const columns of [30, 40, 50, 66, 80, 120, 200]) {
      const line = progressLine(p, columns);
      expect(line.length, `${columns} columns: ${line}`).toBeLessThan(columns);
      expect(line).toContain('loss 0.1234');
    }
    expect(progressLine(p, 200)).toContain(`[${'█'.repeat(14)}${'·'.repeat(14)}]`);
    expect(progressLine(p, 50)).toMatch(/\[█+·+\]/); // a shorter bar, still half full
  });

  it('notes an epoch that ran most of its steps on one thread, not one that only ended there', () => {
    expect(governed(2, 128, 160)).toBe(' on 1 of 2 threads for 80 % of the steps, where the others measured no faster');
    expect(governed(2, 80, 160)).toBe(''); // half: not most
    expect(governed(2, 0, 160)).toBe('');
    expect(governed(1, 160, 160)).toBe(''); // a one-thread backend has no others
  });

  it('--json: stdout is exactly one JSON object (progress and messages on stderr)', () => {
    const r = cli('--hidden', '8', '--epochs', '1', '--json', '--seed', '3');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ seed: 3, epochs: 1 });
  }, 120_000);

  it('--seed -1 and --lr -1 say what is allowed (exit 2), not "argument is ambiguous"', () => {
    for (const [args, message] of [
      [['--seed', '-1'], '--seed: expected an integer from 0 to 4294967295, found "-1"'],
      [['--lr', '-1'], '--lr: must be > 0, found "-1"'],
    ] as const) {
      const r = cli(...args);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(message);
    }
  }, 60_000);
});

describe('options that used to be ignored or checked too late (issue 19.5)', () => {
  it('--model cnn refuses the MLP-only options by name instead of ignoring them', () => {
    for (const flags of [['--hidden', '50'], ['--batchnorm'], ['--dropout', '0.2'], ['--weight-decay', '0.1']]) {
      expect(() => parseCli(['--model', 'cnn', ...flags]), flags[0]).toThrow(
        `--model cnn: the book's SimpleConvNet is built as it is (conv 30×5×5 → pool → 100 → 10), so ${flags[0]} cannot apply (it is for --model mlp); leave it out`,
      );
    }
    expect(() => parseCli(['--model', 'cnn', '--hidden', '50', '--batchnorm'])).toThrow(
      'so --hidden, --batchnorm cannot apply (they are for --model mlp); leave them out',
    );
    expect(parseCli(['--model', 'cnn', '--init', 'std', '--shift', '1']).config).toMatchObject({ model: 'cnn', init: 0.01, shift: 1 }); // these apply to the CNN
    expect(USAGE).toMatch(/--hidden 256,128 +hidden layer sizes, comma-separated \(mlp only\)/);
    for (const flag of ['--batchnorm', '--weight-decay L']) expect(USAGE).toMatch(new RegExp(`${flag} .*\\(mlp only\\)`));
    expect(USAGE).toMatch(/--dropout R .*\(mlp\); deep: the ratio of its two Dropout layers/);
  });

  it('empty paths are refused, not ignored', () => {
    for (const flag of ['--save', '--load', '--data']) {
      expect(() => parseCli([flag, '']), flag).toThrow(`${flag}: expected a path, found ""`);
      expect(() => parseCli([`${flag}=  `]), flag).toThrow(`${flag}: expected a path, found "  "`);
    }
  });

  it("--weight-decay, --lr and --dropout are checked by the library's own rules, naming the flag", () => {
    expect(() => parseCli(['--weight-decay', '1e39'])).toThrow(
      '--weight-decay: expected weightDecayLambda to be a number ≥ 0 within the f32 range, got 1e+39',
    );
    expect(() => parseCli(['--lr', '1e39'])).toThrow(
      /^--lr: new Nesterov\(\{ lr \}\): expected a finite lr, got 1e\+39, which is beyond the f32 range/,
    );
    expect(() => parseCli(['--lr', '1e39', '--optimizer', 'sgd'])).toThrow(
      /^--lr: new SGD\(\{ lr \}\): expected a finite learning rate, got 1e\+39/,
    );
    expect(() => parseCli(['--dropout', '1'])).toThrow('--dropout: expected a ratio from 0 up to (not including) 1, got 1');
    expect(() => parseCli(['--weight-decay', 'lots'])).toThrow('--weight-decay: expected a number, found "lots"');
  });

  it('exits 2 naming the flag, before any training: --model cnn --hidden, --weight-decay 1e39, --batch 0 or past the training set, --save to a missing folder or a folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'backprop-cli-save-'));
    const cases: [string[], string][] = [
      [['--model', 'cnn', '--hidden', '50'], "mnist: --model cnn: the book's SimpleConvNet is built as it is"],
      [['--weight-decay', '1e39'], 'mnist: --weight-decay: expected weightDecayLambda to be a number ≥ 0 within the f32 range, got 1e+39'],
      [['--batch', '0'], 'mnist: --batch: expected a positive integer, found "0"'],
      [['--batch', '8001'], 'mnist: --batch: expected 1 to 8000 (the training digits), found 8001'],
      [['--save', ''], 'mnist: --save: expected a path, found ""'],
      [
        ['--save', join(dir, 'missing', 'm.safetensors')],
        `mnist: --save ${join(dir, 'missing', 'm.safetensors')}: expected a file in an existing folder, but ${join(dir, 'missing')} does not exist`,
      ],
      [['--save', dir], `mnist: --save ${dir}: expected a file path, found a folder`],
    ];
    for (const [args, message] of cases) {
      const r = cli(...(args.includes('cnn') ? [] : ['--hidden', '8']), '--epochs', '1', ...args);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(message);
      expect(r.stdout + r.stderr, args.join(' ')).not.toContain('epoch 1/1'); // nothing trained, so nothing lost
    }
  }, 120_000);

  it('--batch 8000 (the whole training set, one step an epoch) trains', () => {
    const r = cli('--hidden', '8', '--epochs', '1', '--batch', '8000', '--backend', 'ts', '--threads', '1', '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ batch: 8000, steps: 1, threads: 1, backend: 'ts' });
  }, 120_000);
});
