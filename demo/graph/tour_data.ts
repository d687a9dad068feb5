/**
 * What the tour's two-layer-net figure needs, made in Node when the page is built: a small
 * TwoLayerNet trained briefly on the embedded MNIST digits (seeded, so every build gives the same
 * weights) and the first "2" of the test split, which it never trained on.
 */
import { createBackend, Random, SGD, TwoLayerNet } from '../../ts/index.js';
import { loadEmbeddedMnist } from '../mnist_data.js';
import { IMAGE_SIZE } from '../mnist_format.js';
import { type TourData, toBase64 } from './figures.js';

export const TOUR_TRAINING = { hidden: 32, seed: 1, steps: 600, batch: 100, lr: 0.1 };

export async function makeTourData(options = TOUR_TRAINING): Promise<TourData> {
  const { hidden, seed, steps, batch, lr } = options;
  const { train, test } = loadEmbeddedMnist();
  const backend = await createBackend('ts');
  const net = new TwoLayerNet(backend, IMAGE_SIZE, hidden, 10, { seed, weightInitStd: 0.1 });
  const sgd = new SGD({ lr });
  const rng = new Random(seed);
  const xs = new Float32Array(batch * IMAGE_SIZE);
  const ts = new Float32Array(batch);
  for (let step = 0; step < steps; step++) {
    for (let i = 0; i < batch; i++) {
      const k = rng.int(train.count);
      xs.set(train.images.subarray(k * IMAGE_SIZE, (k + 1) * IMAGE_SIZE), i * IMAGE_SIZE);
      ts[i] = train.labels[k];
    }
    const x = backend.tensor(xs, [batch, IMAGE_SIZE]);
    const t = backend.tensor(ts, [batch]);
    sgd.update(net.params, net.gradient(x, t));
    x.dispose();
    t.dispose();
  }
  const testX = backend.tensor(test.images, [test.count, IMAGE_SIZE]);
  const testT = backend.tensor(test.labels, [test.count]);
  const testAccuracy = net.accuracy(testX, testT);
  const index = test.labels.indexOf(2);
  const pixels = Array.from(test.images.subarray(index * IMAGE_SIZE, (index + 1) * IMAGE_SIZE), (v) => Math.round(v * 255));
  const weights = Object.fromEntries((['W1', 'b1', 'W2', 'b2'] as const).map((k) => [k, toBase64(net.params[k].toArray())])) as Record<
    'W1' | 'b1' | 'W2' | 'b2',
    string
  >;
  return {
    digit: { index, label: 2, pixels },
    net: { hidden, ...weights },
    training: { seed, steps, batch, lr, trainCount: train.count, testCount: test.count, testAccuracy },
  };
}
