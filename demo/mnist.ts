/**
 * Trains the book's TwoLayerNet (784 → 50 → 10, SGD lr 0.1, batch 100, §5.7.4
 * train_neuralnet.py) on the embedded MNIST digits and prints loss and train/test accuracy.
 * Usage: npm run mnist -- [--backend wasm|ts] [--epochs 20] [--seed 42]
 */
import { parseArgs } from 'node:util';
import { createBackend, Random, SGD, TwoLayerNet } from '../ts/index.js';
import { IMAGE_SIZE, loadEmbeddedMnist } from './mnist_data.js';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    epochs: { type: 'string', default: '20' },
    seed: { type: 'string', default: '42' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log('npm run mnist -- [--backend wasm|ts] [--epochs 20] [--seed 42]');
  process.exit(0);
}
const epochs = Number(args.epochs);
const seed = Number(args.seed);
if (args.backend !== 'wasm' && args.backend !== 'ts') throw new Error(`--backend: expected wasm or ts, got ${args.backend}`);
if (!(Number.isInteger(epochs) && epochs > 0)) throw new Error(`--epochs: expected a positive integer, got ${args.epochs}`);
if (!Number.isInteger(seed)) throw new Error(`--seed: expected an integer, got ${args.seed}`);

const batchSize = 100;
const learningRate = 0.1;
const { train, test } = loadEmbeddedMnist();
const backend = await createBackend(args.backend);
console.log(`backend ${backend.name}; ${train.count} training and ${test.count} test digits; TwoLayerNet 784→50→10, SGD lr ${learningRate}, batch ${batchSize}`);

const net = new TwoLayerNet(backend, IMAGE_SIZE, 50, 10, { seed });
const optimizer = new SGD({ lr: learningRate });
const rng = new Random(seed);
const trainX = backend.tensor(train.images, [train.count, IMAGE_SIZE]);
const trainT = backend.tensor(train.labels, [train.count]);
const testX = backend.tensor(test.images, [test.count, IMAGE_SIZE]);
const testT = backend.tensor(test.labels, [test.count]);
const batchX = backend.zeros([batchSize, IMAGE_SIZE]);
const batchT = backend.zeros([batchSize]);
const order = Uint32Array.from({ length: train.count }, (_, i) => i);
const stepsPerEpoch = Math.floor(train.count / batchSize);

/** Copies the chosen rows into the batch tensors (inside WASM memory on the WASM backend). */
function fillBatch(step: number): void {
  const images = trainX.data, labels = trainT.data, x = batchX.data, t = batchT.data;
  for (let r = 0; r < batchSize; r++) {
    const i = order[step * batchSize + r];
    x.set(images.subarray(i * IMAGE_SIZE, (i + 1) * IMAGE_SIZE), r * IMAGE_SIZE);
    t[r] = labels[i];
  }
}

let trainMs = 0;
const start = performance.now();
for (let epoch = 1; epoch <= epochs; epoch++) {
  rng.shuffle(order);
  let lossSum = 0;
  const epochStart = performance.now();
  for (let step = 0; step < stepsPerEpoch; step++) {
    fillBatch(step);
    const grads = net.gradient(batchX, batchT);
    lossSum += net.lastLayer.loss!;
    optimizer.update(net.params, grads);
    if (process.stdout.isTTY && step % 8 === 0) {
      const done = Math.round(((step + 1) / stepsPerEpoch) * 30);
      process.stdout.write(`\repoch ${epoch}/${epochs} [${'#'.repeat(done)}${'.'.repeat(30 - done)}] loss ${(lossSum / (step + 1)).toFixed(4)}`);
    }
  }
  const epochMs = performance.now() - epochStart;
  trainMs += epochMs;
  const line = `epoch ${String(epoch).padStart(2)}/${epochs}  loss ${(lossSum / stepsPerEpoch).toFixed(4)}  train acc ${net.accuracy(trainX, trainT).toFixed(4)}  test acc ${net.accuracy(testX, testT).toFixed(4)}  ${(epochMs / stepsPerEpoch).toFixed(3)} ms/step`;
  console.log(process.stdout.isTTY ? `\r${line}${' '.repeat(20)}` : line);
}
console.log(`done: test accuracy ${net.accuracy(testX, testT).toFixed(4)} after ${epochs * stepsPerEpoch} steps; training ${(trainMs / 1000).toFixed(2)} s (${((trainMs / (epochs * stepsPerEpoch))).toFixed(3)} ms/step), wall ${((performance.now() - start) / 1000).toFixed(2)} s`);
