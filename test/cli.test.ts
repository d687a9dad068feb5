import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCli, USAGE } from '../demo/cli_args.js';
import { CNN_EPOCHS } from '../demo/trainer.js';
import { progressLine } from '../demo/cli_progress.js';

// The MNIST CLI run directly from its source (test/package.test.ts runs the compiled bin from the
// tarball): a short seeded run's --json summary, reproducibility, and errors for bad options.
const root = resolve(import.meta.dirname, '..');

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'demo/mnist.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('npm run mnist', () => {
  it('a short seeded run prints one JSON summary, far above chance, and repeats exactly', () => {
    const args = ['--hidden', '32', '--epochs', '1', '--seed', '7', '--json'];
    const a = cli(...args);
    expect(a.status, `${a.stderr}\n${a.stdout}`).toBe(0);
    const summary = JSON.parse(a.stdout);
    expect(summary).toMatchObject({ backend: expect.stringMatching(/^wasm-/), sizes: [784, 32, 10], optimizer: 'nesterov', lr: 0.1, batch: 100, init: 'he', seed: 7, epochs: 1, steps: 80, data: 'embedded', trainCount: 8000, testCount: 2000 });
    for (const key of ['variant', 'loss', 'trainAccuracy', 'testAccuracy', 'msPerStep', 'stepsPerSecond', 'trainSeconds', 'wallSeconds']) expect(summary, key).toHaveProperty(key);
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

  it('--compare trains the same seeded net on both backends and reports the speed-up', () => {
    const r = cli('--compare', '--hidden', '8', '--epochs', '1', '--json');
    expect(r.status, r.stderr).toBe(0);
    const { runs, speedup } = JSON.parse(r.stdout);
    expect(runs.map((x: { backend: string }) => x.backend)).toEqual([expect.stringMatching(/^wasm-/), 'ts']);
    expect(speedup).toBeGreaterThan(0);
    expect(Math.abs(runs[0].testAccuracy - runs[1].testAccuracy)).toBeLessThan(0.01); // same seed; only f32 summation order differs
    expect(r.stderr).toMatch(/compare: wasm-\S+ [\d.]+ ms\/step vs ts [\d.]+ ms\/step → [\d.]+× faster on WASM/);
    // It says what it is doing before the long part, and how long each run will take.
    expect(r.stderr).toMatch(/^compare: training the same seeded net twice, on wasm then on ts/);
    expect(r.stderr).toMatch(/\nts: about \d+ s for 1 epoch \(\d+ steps\/s\)/);
  }, 120_000);

  it('bad options say what was expected and what was found, with exit code 2', () => {
    const r = cli('--optimizer', 'adamw');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('mnist: --optimizer: expected one of sgd, momentum, nesterov, adagrad, rmsprop, adam, found "adamw"');
    expect(cli('--frobnicate').stderr).toContain("Unknown option '--frobnicate'");
    expect(cli('--data', '/nonexistent/mnist').stderr).toContain('--data /nonexistent/mnist: expected a directory with the four MNIST IDX files');
  }, 120_000);

  it('--model cnn trains SimpleConvNet: one epoch is far above chance', () => {
    const r = cli('--model', 'cnn', '--epochs', '1', '--json');
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ model: 'cnn', optimizer: 'adam', lr: 0.001, init: 'he', epochs: 1, steps: 80 });
    expect(summary.testAccuracy).toBeGreaterThan(0.85);
    expect(r.stderr).toContain('SimpleConvNet (conv 30×5×5 → relu → pool 2×2 → 100 → 10), adam lr 0.001');
  }, 120_000);

  it('--help lists every option', () => {
    const r = cli('--help');
    for (const o of ['--backend', '--model', '--shift', '--hidden', '--epochs', '--batch', '--lr', '--optimizer', '--init', '--seed', '--data', '--json', '--compare']) expect(r.stdout).toContain(o);
  }, 60_000);
});

describe('option parsing', () => {
  it('reads lists, numbers and init names', () => {
    const o = parseCli(['--hidden', '256, 128', '--lr', '0.05', '--init', 'std', '--batch', '64', '--seed=3']);
    expect(o.config).toEqual({ model: 'mlp', hidden: [256, 128], lr: 0.05, init: 0.01, batch: 64, seed: 3, optimizer: 'nesterov', shift: 0, dropout: 0, batchnorm: false, weightDecay: 0 });
    expect(parseCli(['--seed', '4294967295']).config.seed).toBe(2 ** 32 - 1);
    expect(parseCli(['--init', '0.02']).config.init).toBe(0.02);
  });

  it('--model cnn takes the CNN recipe, and what is given overrides it', () => {
    const o = parseCli(['--model', 'cnn']);
    expect(o.config).toMatchObject({ model: 'cnn', optimizer: 'adam', lr: 0.001, init: 'he', shift: 2 });
    expect(o.epochs).toBe(CNN_EPOCHS);
    expect(parseCli(['--model', 'cnn', '--lr', '0.002', '--init', 'std', '--shift', '0', '--epochs', '3'])).toMatchObject({ epochs: 3, config: { lr: 0.002, init: 0.01, shift: 0 } });
    expect(parseCli([]).config).toMatchObject({ model: 'mlp', optimizer: 'nesterov', lr: 0.1, shift: 0 });
    expect(() => parseCli(['--model', 'rnn'])).toThrow('--model: expected mlp or cnn, found "rnn"');
    expect(parseCli(['--model', 'cnn', '--save', 'x.safetensors', '--load', 'y.safetensors'])).toMatchObject({ save: 'x.safetensors', load: 'y.safetensors', config: { model: 'cnn' } });
    expect(() => parseCli(['--load', 'y.safetensors', '--init', 'std'])).toThrow('--load: the net comes from the file (its sizes, init and layers), so --init cannot apply; leave it out');
    expect(() => parseCli(['--shift', '9'])).toThrow('--shift: expected a whole number of pixels from 0 to 8, found "9"');
  });

  it('rejects malformed values with expected-vs-found messages', () => {
    expect(() => parseCli(['--hidden', '0'])).toThrow('--hidden: expected positive integer sizes separated by commas (e.g. 50 or 256,128), found "0"');
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
    expect(() => parseCli(['--init', 'glorot'])).toThrow('--init: expected he, xavier, std or a positive standard deviation, found "glorot"');
    expect(() => parseCli(['--seed', 'x'])).toThrow('--seed: expected an integer, found "x"');
  });
});

describe('what the CLI prints', () => {
  it('the help table has one column of descriptions, whatever the flag or default', () => {
    const rows = USAGE.split('\n').filter((l) => l.startsWith('  --'));
    expect(rows.length).toBeGreaterThanOrEqual(12);
    const starts = rows.map((l) => l.slice(2).search(/ {2}\S/) + 4);
    expect(new Set(starts).size).toBe(1);
    expect(USAGE).toContain('--optimizer NAME      sgd|momentum|nesterov|adagrad|rmsprop|adam (default nesterov)');
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

  it('--json: stdout is exactly one JSON object (progress and messages on stderr)', () => {
    const r = cli('--hidden', '8', '--epochs', '1', '--json', '--seed', '3');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ seed: 3, epochs: 1 });
  }, 120_000);

  it('--seed -1 and --lr -1 say what is allowed (exit 2), not "argument is ambiguous"', () => {
    for (const [args, message] of [[['--seed', '-1'], '--seed: expected an integer from 0 to 4294967295, found "-1"'], [['--lr', '-1'], '--lr: must be > 0, found "-1"']] as const) {
      const r = cli(...args);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(message);
    }
  }, 60_000);
});
