import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBackend, DeepConvNet, readSafetensors, saveModel, Sequential, SimpleConvNet } from '../../ts/index.js';
import { runCli } from '../helpers/cli.js';

// The MNIST CLI's model files: --save after training, --load to start from one, --epochs 0 to
// evaluate only; the JSON summary records what was loaded and saved.
const dir = mkdtempSync(join(tmpdir(), 'backprop-cli-models-'));

const cli = (...args: string[]) => runCli(args);

describe('npm run mnist -- --save / --load', () => {
  it('a model saved on wasm after training evaluates to the same accuracy when loaded on ts with --epochs 0', () => {
    const path = join(dir, 'mnist.safetensors');
    const trained = cli('--hidden', '24', '--epochs', '1', '--optimizer', 'adam', '--lr', '0.003', '--save', path, '--json');
    expect(trained.status, trained.stderr).toBe(0);
    const first = JSON.parse(trained.stdout);
    expect(first.saved).toEqual({ path, bytes: expect.any(Number) });
    expect(first.loaded).toBeNull();
    const file = readSafetensors(new Uint8Array(readFileSync(path)));
    expect(Object.keys(file.metadata)).toContain('optimizer');
    expect(file.tensors.get('W1')!.shape).toEqual([784, 24]);

    const evaluated = cli('--load', path, '--epochs', '0', '--backend', 'ts', '--json');
    expect(evaluated.status, evaluated.stderr).toBe(0);
    const second = JSON.parse(evaluated.stdout);
    expect(second).toMatchObject({
      backend: 'ts',
      sizes: [784, 24, 10],
      optimizer: 'adam',
      lr: 0.003,
      steps: 0,
      loss: null,
      msPerStep: null,
      history: [],
      saved: null,
    });
    expect(second.loaded).toEqual({ path, sizes: [784, 24, 10], optimizer: 'adam' });
    // The header says where the weights come from, not an init and seed that were never used.
    expect(evaluated.stderr).not.toMatch(/init he/);
    expect(evaluated.stderr).toContain("seed 42 (shuffling only: the weights are the file's)");
    // The same weights on another backend: the same predictions, up to f32 summation order.
    expect(Math.abs(second.testAccuracy - first.testAccuracy)).toBeLessThanOrEqual(0.002);
    expect(evaluated.stderr).toContain(`ts: 784→24→10 MLP from ${path}, adam lr 0.003`);
    expect(evaluated.stderr).toMatch(/done \(ts\): evaluated only \(--epochs 0\): test accuracy 0\.\d{4}/);

    // --load, then train on from the loaded net and save again.
    const again = join(dir, 'again.safetensors');
    const resumed = JSON.parse(cli('--load', path, '--epochs', '1', '--save', again, '--json').stdout);
    expect(resumed).toMatchObject({ steps: 80, loaded: { path }, saved: { path: again } });
    expect(resumed.history[0].loss).toBeLessThan(first.history[0].loss); // a second epoch, not a fresh first one
  }, 180_000);

  it('--model cnn: a SimpleConvNet saved on wasm evaluates the same on ts, trains on, and needs --model cnn to load', () => {
    const path = join(dir, 'cnn.safetensors');
    const trained = cli('--model', 'cnn', '--epochs', '1', '--save', path, '--json');
    expect(trained.status, trained.stderr).toBe(0);
    const first = JSON.parse(trained.stdout);
    const file = readSafetensors(new Uint8Array(readFileSync(path)));
    expect(JSON.parse(file.metadata.architecture).class).toBe('SimpleConvNet');
    expect(file.tensors.get('W1')!.shape).toEqual([30, 1, 5, 5]);

    const evaluated = cli('--load', path, '--model', 'cnn', '--epochs', '0', '--backend', 'ts', '--json');
    expect(evaluated.status, evaluated.stderr).toBe(0);
    const second = JSON.parse(evaluated.stdout);
    expect(second).toMatchObject({
      model: 'cnn',
      sizes: [784, 100, 10],
      optimizer: 'adam',
      steps: 0,
      loaded: { path, sizes: [784, 100, 10], optimizer: 'adam' },
    });
    expect(Math.abs(second.testAccuracy - first.testAccuracy)).toBeLessThanOrEqual(0.002);
    expect(evaluated.stderr).toContain(
      `ts: SimpleConvNet (conv 30×5×5 → relu → pool 2×2 → 100 → 10) from ${path}, adam lr 0.001 (the saved optimizer and its state)`,
    );

    const resumed = JSON.parse(cli('--load', path, '--model', 'cnn', '--epochs', '1', '--json').stdout);
    expect(resumed).toMatchObject({ model: 'cnn', steps: 80, loaded: { path } });
    expect(resumed.history[0].loss).toBeLessThan(first.history[0].loss); // a second epoch, not a fresh first one

    const withoutModel = cli('--load', path, '--epochs', '0');
    expect(withoutModel.status).toBe(1);
    expect(withoutModel.stderr).toContain(`mnist: --load ${path}: the file holds a SimpleConvNet; add --model cnn`);
  }, 240_000);

  it('a chapter-6 net loaded from a file reports its own batchnorm, dropout and weight decay (the options are refused with --load)', () => {
    const path = join(dir, 'ch6.safetensors');
    const trained = cli(
      '--hidden',
      '16',
      '--batchnorm',
      '--dropout',
      '0.2',
      '--weight-decay',
      '0.001',
      '--epochs',
      '1',
      '--save',
      path,
      '--json',
    );
    expect(trained.status, trained.stderr).toBe(0);
    const loaded = cli('--load', path, '--epochs', '0', '--json');
    expect(loaded.status, loaded.stderr).toBe(0);
    expect(JSON.parse(loaded.stdout)).toMatchObject({
      sizes: [784, 16, 10],
      batchnorm: true,
      dropout: 0.2,
      weightDecay: 0.001,
      testAccuracy: JSON.parse(trained.stdout).testAccuracy,
    });
    expect(loaded.stderr).toContain(`784→16→10 MLP (batchnorm, dropout 0.2, weight decay 0.001) from ${path}`);
  }, 120_000);

  it('a DeepConvNet file loads with --model deep and evaluates; with another --model it is refused, naming the flag to use', async () => {
    const path = join(dir, 'deep.safetensors');
    writeFileSync(path, saveModel(new DeepConvNet(await createBackend('ts'), { seed: 3 })));
    const evaluated = cli('--load', path, '--model', 'deep', '--epochs', '0', '--json');
    expect(evaluated.status, evaluated.stderr).toBe(0);
    expect(JSON.parse(evaluated.stdout)).toMatchObject({ model: 'deep', sizes: [784, 50, 10], steps: 0, loaded: { path } });
    for (const [model, advice] of [
      ['cnn', 'use --model deep'],
      ['mlp', 'add --model deep'],
    ]) {
      const refused = cli('--load', path, ...(model === 'mlp' ? [] : ['--model', model]), '--epochs', '0');
      expect(refused.status, model).toBe(1);
      expect(refused.stderr).toContain(`mnist: --load ${path}: the file holds a DeepConvNet; ${advice}`);
    }
  }, 240_000);

  it('refuses files that are not MNIST models, naming the file and the problem', async () => {
    const junk = join(dir, 'junk.safetensors');
    writeFileSync(junk, 'not a model at all');
    const r = cli('--load', junk, '--epochs', '0');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`mnist: --load ${junk}: safetensors: the header length at byte 0 says`);
    const small = join(dir, 'small.safetensors');
    writeFileSync(small, saveModel(Sequential.mlp(await createBackend('ts'), [4, 3, 2])));
    expect(cli('--load', small, '--epochs', '0').stderr).toContain(
      `mnist: --load ${small}: expected an MNIST model (an MLP of 784 inputs → … → 10 classes, or a SimpleConvNet or DeepConvNet on 1×28×28 images), found 4→3→2`,
    );
    const smallCnn = join(dir, 'small-cnn.safetensors');
    writeFileSync(
      smallCnn,
      saveModel(new SimpleConvNet(await createBackend('ts'), { inputDim: [1, 9, 9], filterNum: 2, filterSize: 3, hiddenSize: 4 })),
    );
    expect(cli('--load', smallCnn, '--model', 'cnn', '--epochs', '0').stderr).toContain('found a SimpleConvNet on 1×9×9 images');
    const smallDeep = join(dir, 'small-deep.safetensors');
    writeFileSync(smallDeep, saveModel(new DeepConvNet(await createBackend('ts'), { inputDim: [1, 12, 12] })));
    expect(cli('--load', smallDeep, '--model', 'deep', '--epochs', '0').stderr).toContain('found a DeepConvNet on 1×12×12 images');
    // --hidden (and the other options that shape a new net) were silently ignored with --load.
    const shaped = cli('--load', small, '--hidden', '50', '--batchnorm');
    expect(shaped.status).toBe(2);
    expect(shaped.stderr).toContain(
      'mnist: --load: the net comes from the file (its sizes, init and layers), so --hidden, --batchnorm cannot apply; leave them out',
    );
    expect(cli('--load', join(dir, 'missing.safetensors')).stderr).toMatch(/mnist: --load .*missing\.safetensors: ENOENT/);
    const compare = cli('--compare', '--save', small);
    expect(compare.status).toBe(2);
    expect(compare.stderr).toContain('mnist: --save: cannot save with --compare');
    expect(cli('--compare', '--epochs', '0').stderr).toContain(
      'mnist: --compare: measures training speed, so it needs --epochs 1 or more, found 0',
    );
  }, 120_000);
});
