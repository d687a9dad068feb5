import { describe, expect, it } from 'vitest';
import { parseCli, USAGE } from '../../demo/cli_args.js';
import { loadEmbeddedMnist } from '../../demo/mnist_data.js';
import { DEFAULT_CONFIG, Trainer } from '../../demo/trainer.js';
import { createBackend, MultiLayerNetExtend } from '../../ts/index.js';
import { runCli } from '../helpers/cli.js';

// The chapter-6 options of the MNIST CLI: --dropout R, --batchnorm, --weight-decay L.

const cli = (...args: string[]) => runCli(args);

describe('chapter-6 CLI options', () => {
  it('parses --dropout, --batchnorm and --weight-decay (off by default) and lists them in --help', () => {
    expect(parseCli([]).config).toMatchObject({ dropout: 0, batchnorm: false, weightDecay: 0 });
    expect(parseCli(['--dropout', '0.2', '--batchnorm', '--weight-decay', '1e-4']).config).toMatchObject({
      dropout: 0.2,
      batchnorm: true,
      weightDecay: 1e-4,
    });
    for (const o of ['--dropout R', '--batchnorm', '--weight-decay L']) expect(USAGE).toContain(o);
  });

  it('rejects bad values with expected-vs-found messages', () => {
    expect(() => parseCli(['--dropout', '1'])).toThrow('--dropout: expected a ratio from 0 up to (not including) 1, got 1');
    expect(() => parseCli(['--dropout', 'half'])).toThrow('--dropout: expected a number, found "half"');
    expect(() => parseCli(['--weight-decay', '-1'])).toThrow(
      '--weight-decay: expected weightDecayLambda to be a number ≥ 0 within the f32 range, got -1',
    );
    expect(() => parseCli(['--batchnorm=yes'])).toThrow();
  });

  it('the trainer builds MultiLayerNetExtend with the chosen layers when an option is on, the plain MLP otherwise', async () => {
    const backend = await createBackend('ts');
    const data = loadEmbeddedMnist();
    const plain = new Trainer(backend, data, { ...DEFAULT_CONFIG, hidden: [8] });
    expect(plain.net).not.toBeInstanceOf(MultiLayerNetExtend);
    const extended = new Trainer(backend, data, { ...DEFAULT_CONFIG, hidden: [8], batchnorm: true, dropout: 0.25, weightDecay: 0.01 });
    expect(extended.net).toBeInstanceOf(MultiLayerNetExtend);
    expect([...extended.net.layers.keys()]).toEqual(['Affine1', 'BatchNorm1', 'Activation_function1', 'Dropout1', 'Affine2']);
    expect(extended.net.weightDecayLambda).toBe(0.01);
    // the same seeded initial weights either way
    expect([...extended.net.params.W1.data]).toEqual([...plain.net.params.W1.data]);
    plain.dispose();
    extended.dispose();
  });

  it('a short run with all three trains MultiLayerNetExtend, reports the options and repeats exactly', () => {
    const args = [
      '--hidden',
      '32',
      '--epochs',
      '1',
      '--seed',
      '7',
      '--batchnorm',
      '--dropout',
      '0.1',
      '--weight-decay',
      '1e-4',
      '--optimizer',
      'adam',
      '--lr',
      '0.003',
      '--json',
    ];
    const a = cli(...args);
    expect(a.status, `${a.stderr}\n${a.stdout}`).toBe(0);
    const summary = JSON.parse(a.stdout);
    expect(summary).toMatchObject({ sizes: [784, 32, 10], dropout: 0.1, batchnorm: true, weightDecay: 1e-4, steps: 80 });
    expect(summary.testAccuracy).toBeGreaterThan(0.8); // chance is 0.1
    expect(a.stderr).toContain('784→32→10 MLP (batchnorm, dropout 0.1, weight decay 0.0001)');
    const b = JSON.parse(cli(...args).stdout);
    expect([b.loss, b.testAccuracy]).toEqual([summary.loss, summary.testAccuracy]);
  }, 120_000);
});
