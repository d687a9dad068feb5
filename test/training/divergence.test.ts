import { describe, expect, it } from 'vitest';
import { DIVERGED_LOSS, Trainer, TrainingDivergedError } from '../../demo/trainer.js';
import { allBackends, randomValues } from '../helpers/backends.js';
import { runCli } from '../helpers/cli.js';

// A learning rate far too large makes the loss explode (to NaN, or to 1e35 while finite) within a
// few steps: the trainer stops
// at that step with a typed error (the page's worker forwards it), the CLI with a message and a
// non-zero exit, instead of finishing with a meaningless accuracy.
const backends = await allBackends();

/** 300 random "digits" with random labels: enough for a few steps. */
function data() {
  const digits = (count: number, seed: number) => ({
    images: randomValues(count * 784, seed).map((v) => (v + 1) / 2),
    labels: Float32Array.from({ length: count }, (_, i) => i % 10),
    count,
  });
  return { train: digits(300, 1), test: digits(50, 2) };
}

describe.each(backends.map((b) => [b.name, b] as const))('divergence on %s', (_name, backend) => {
  it('Trainer.step throws TrainingDivergedError at the first exploded loss, naming the step', () => {
    const trainer = new Trainer(backend, data(), { hidden: [32], batch: 30, lr: 1e10, optimizer: 'sgd', init: 'he', seed: 1 });
    let error: unknown = null;
    for (let i = 0; i < 30 && error === null; i++) {
      try {
        trainer.step();
      } catch (e) {
        error = e;
      }
    }
    expect(error).toBeInstanceOf(TrainingDivergedError);
    const diverged = error as TrainingDivergedError;
    expect(diverged.name).toBe('TrainingDivergedError');
    expect(diverged.step).toBe(trainer.steps + 1);
    expect(diverged.loss > DIVERGED_LOSS || Number.isNaN(diverged.loss)).toBe(true);
    expect(diverged.message).toMatch(
      new RegExp(`^training diverged at step ${diverged.step} \\(loss (NaN|-?Infinity|\\d\\.\\d\\de\\+\\d+)\\): lower the learning rate$`),
    );
    trainer.dispose();
  });

  it('a sane learning rate trains on without error', () => {
    const trainer = new Trainer(backend, data(), { hidden: [32], batch: 30, lr: 0.1, optimizer: 'sgd', init: 'he', seed: 1 });
    for (let i = 0; i < 30; i++) expect(Number.isFinite(trainer.step())).toBe(true);
    trainer.dispose();
  });
});

describe('npm run mnist -- --lr 1e10 --optimizer sgd', () => {
  // --hidden 16 is the case whose loss stays finite (1.96e35 after an epoch, before the check);
  // the default 256→128 net reaches NaN by step 3.
  it.each([[['--hidden', '16']], [[]]])(
    '%j stops with "training diverged at step N" and exit code 3',
    (extra) => {
      const r = runCli(['--lr', '1e10', '--optimizer', 'sgd', '--epochs', '1', ...extra]);
      expect(r.stderr).toMatch(/^mnist: training diverged at step \d+ \(loss (NaN|-?Infinity|[0-9.e+]+)\): lower the learning rate$/m);
      expect(r.stdout).not.toContain('done (');
      expect(r.status).toBe(3);
    },
    90_000,
  );
});
