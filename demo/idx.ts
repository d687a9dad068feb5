/**
 * A reader for the IDX files MNIST is distributed in (http://yann.lecun.com/exdb/mnist/):
 * magic 0x00 0x00 <type> <ndims>, then ndims big-endian u32 dimensions, then the data. Only
 * unsigned bytes (type 0x08) occur in MNIST and only they are accepted. Every check names the
 * file, what was expected and what was found. Pure bytes in, no Node imports.
 */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;

/** Parses one IDX file; `expectedDims` is the number of dimensions it must have (3 for images, 1 for labels). */
export function parseIdx(bytes: Uint8Array, expectedDims: number, source: string): IdxArray {
  if (bytes.length < 4) throw new Error(`${source}: expected an IDX file (at least a 4-byte magic number), found ${bytes.length} bytes`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const hint = bytes[0] === 0x1f && bytes[1] === 0x8b ? ' (it looks gzipped; name it *.gz)' : '';
    throw new Error(`${source}: expected an IDX magic number starting 0x00 0x00, found 0x${hex(bytes[0])} 0x${hex(bytes[1])}${hint}`);
  }
  if (bytes[2] !== UBYTE) throw new Error(`${source}: expected IDX data type 0x08 (unsigned byte), found 0x${hex(bytes[2])}`);
  const ndims = bytes[3];
  if (ndims !== expectedDims)
    throw new Error(
      `${source}: expected ${expectedDims} dimension${expectedDims === 1 ? '' : 's'} (magic 0x0000080${expectedDims}), found ${ndims}`,
    );
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes)
    throw new Error(`${source}: truncated header: expected ${headerBytes} bytes for ${ndims} dimensions, found ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, headerBytes);
  const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((a, d) => a * d, 1);
  const found = bytes.length - headerBytes;
  if (found !== size) {
    throw new Error(
      `${source}: dimensions [${dims.join(', ')}] need ${size} data bytes, found ${found}${found < size ? ' (the file is truncated)' : ' (trailing bytes)'}`,
    );
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

/** Checks an images file ([n, 28, 28]) against its labels file ([n], values 0–9) and returns them as one set. */
export function pairIdx(
  images: IdxArray,
  labels: IdxArray,
  side: number,
  classes: number,
  source: string,
): { pixels: Uint8Array; labels: Uint8Array; count: number } {
  const [n, rows, cols] = images.dims;
  if (rows !== side || cols !== side) throw new Error(`${source}: expected ${side}×${side} images, found ${rows}×${cols}`);
  if (labels.dims[0] !== n) throw new Error(`${source}: expected as many labels as images (${n}), found ${labels.dims[0]} labels`);
  const bad = labels.data.findIndex((l) => l >= classes);
  if (bad >= 0) throw new Error(`${source}: expected labels 0–${classes - 1}, found ${labels.data[bad]} at index ${bad}`);
  return { pixels: images.data, labels: labels.data, count: n };
}

function hex(b: number | undefined): string {
  return (b ?? 0).toString(16).padStart(2, '0');
}
