import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCli } from '../demo/cli_args.js';

// The MNIST CLI as a user runs it (through the package's bin launcher): a short seeded run's
// --json summary, reproducibility, and errors for bad options.
const root = resolve(import.meta.dirname, '..');

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['demo/bin/mnist.mjs', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
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
  }, 120_000);

  it('bad options say what was expected and what was found, with exit code 2', () => {
    const r = cli('--optimizer', 'adamw');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('mnist: --optimizer: expected one of sgd, momentum, nesterov, adagrad, rmsprop, adam, found "adamw"');
    expect(cli('--frobnicate').stderr).toContain("Unknown option '--frobnicate'");
    expect(cli('--data', '/nonexistent/mnist').stderr).toContain('--data /nonexistent/mnist: expected a directory with the four MNIST IDX files');
  }, 120_000);

  it('--help lists every option', () => {
    const r = cli('--help');
    for (const o of ['--backend', '--hidden', '--epochs', '--batch', '--lr', '--optimizer', '--init', '--seed', '--data', '--json', '--compare']) expect(r.stdout).toContain(o);
  }, 60_000);
});

describe('option parsing', () => {
  it('reads lists, numbers and init names', () => {
    const o = parseCli(['--hidden', '256, 128', '--lr', '0.05', '--init', 'std', '--batch', '64', '--seed=-3']);
    expect(o.config).toEqual({ hidden: [256, 128], lr: 0.05, init: 0.01, batch: 64, seed: -3, optimizer: 'nesterov' });
    expect(parseCli(['--init', '0.02']).config.init).toBe(0.02);
  });

  it('rejects malformed values with expected-vs-found messages', () => {
    expect(() => parseCli(['--hidden', '0'])).toThrow('--hidden: expected positive integer sizes separated by commas (e.g. 50 or 256,128), found "0"');
    expect(() => parseCli(['--epochs', '1.5'])).toThrow('--epochs: expected a positive integer, found "1.5"');
    expect(() => parseCli(['--lr=-1'])).toThrow('--lr: expected a positive number, found "-1"');
    expect(() => parseCli(['--backend', 'gpu'])).toThrow('--backend: expected wasm or ts, found "gpu"');
    expect(() => parseCli(['--init', 'glorot'])).toThrow('--init: expected he, xavier, std or a positive standard deviation, found "glorot"');
    expect(() => parseCli(['--seed', 'x'])).toThrow('--seed: expected an integer, found "x"');
  });
});
