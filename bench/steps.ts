import { Adam, DeepConvNet, Sequential, SGD, SimpleConvNet, type Backend } from '../ts/index.js';
import { seededLabels, seededValues } from './util.js';

/**
 * The training steps the thread benchmarks time (bench/threads.ts, bench/scaling.ts): one seeded
 * minibatch, forward, backward and update, made on a given backend and returned as a closure.
 */

/** An MLP of `sizes` (ReLU, SGD lr 0.01) on a batch of `batch` seeded inputs and labels. */
export function mlpStep(sizes: number[], batch: number): (b: Backend) => () => unknown {
  return (b) => {
    const net = Sequential.mlp(b, sizes, { seed: 1 });
    const x = b.tensor(
      seededValues(batch * sizes[0], 20).map((v) => (v + 1) / 2),
      [batch, sizes[0]],
    );
    const t = b.tensor(seededLabels(batch, sizes[sizes.length - 1], 21), [batch]);
    const sgd = new SGD({ lr: 0.01 });
    return () => sgd.update(net.params, net.gradient(x, t));
  };
}

/** The book's SimpleConvNet (He init, Adam lr 0.001) on a batch of 100 seeded 28×28 images. */
export const cnnStep = (b: Backend) => convNetStep(b, new SimpleConvNet(b, { weightInitStd: 'he', seed: 1 }));

/** The book's DeepConvNet (He init, Adam lr 0.001) on a batch of 100 seeded 28×28 images. */
export const deepStep = (b: Backend) => convNetStep(b, new DeepConvNet(b, { seed: 1 }));

/** A CNN's step (its net made on `b`) with Adam (lr 0.001) on a batch of 100 seeded 28×28 images. */
function convNetStep(b: Backend, net: SimpleConvNet | DeepConvNet): () => unknown {
  const x = b.tensor(
    seededValues(100 * 28 * 28, 40).map((v) => (v + 1) / 2),
    [100, 1, 28, 28],
  );
  const t = b.tensor(seededLabels(100, 10, 41), [100]);
  const adam = new Adam({ lr: 0.001 });
  return () => adam.update(net.params, net.gradient(x, t));
}
