/**
 * The safetensors format (the weights format of PyTorch and Hugging Face), read and written with
 * no dependency: an 8-byte little-endian header length N, N bytes of JSON mapping each tensor
 * name to `{ dtype, shape, data_offsets: [begin, end] }` (offsets into the data section that
 * follows) plus an optional `__metadata__` map of strings, then the raw little-endian data.
 *
 * The reader trusts nothing: every check below runs on the header before any tensor is decoded,
 * and nothing is allocated beyond what the file's own size bounds (the header string, and views
 * into the caller's bytes). Errors say what was expected, what was found, and the file's byte
 * offset where one applies.
 */
import { scanJson } from './json_scan.js';

/** The dtypes of the safetensors spec and their element sizes in bytes. */
export const DTYPE_BYTES: Readonly<Record<string, number>> = Object.freeze({
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
  U16: 2,
  I16: 2,
  F16: 2,
  BF16: 2,
  U32: 4,
  I32: 4,
  F32: 4,
  U64: 8,
  I64: 8,
  F64: 8,
});

/** The float dtypes `toFloat32` converts; every other dtype is refused by name. */
export const FLOAT_DTYPES = ['F32', 'F16', 'BF16', 'F64'] as const;

/** Headers longer than this are refused before anything is decoded (the reference reader's limit). */
export const MAX_HEADER_BYTES = 100_000_000;

/** One tensor of a file: its header entry, checked, and a view of its bytes in the file. */
export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  /** The tensor's raw little-endian bytes (a view into the file; no copy). */
  readonly bytes: Uint8Array;
  /** Where the tensor's bytes start in the file, for error messages. */
  readonly fileOffset: number;
}

export interface SafetensorsFile {
  /** `__metadata__` (empty when the file has none). */
  readonly metadata: Readonly<Record<string, string>>;
  /** The tensors in file order (by data offset). */
  readonly tensors: ReadonlyMap<string, SafetensorsEntry>;
}

/** An f32 tensor to write. */
export interface TensorToWrite {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

const METADATA_KEY = '__metadata__';

/**
 * How far a safetensors header nests: the top-level object (1), a tensor entry or `__metadata__`
 * (2), a shape or data_offsets array (3). Anything deeper is refused before it is parsed.
 */
export const HEADER_DEPTH = 3;

/** Limits a caller that knows what the file should hold can tighten, and a check of its metadata. */
export interface ReadSafetensorsOptions {
  /** The longest header accepted (default `MAX_HEADER_BYTES`). */
  maxHeaderBytes?: number;
  /** The most tensors accepted (default: as many as fit in the header). */
  maxTensors?: number;
  /** What the limits are for, in their error messages ("a backprop-wasm model file"). */
  limitsOf?: string;
  /** Runs on the checked `__metadata__` before any tensor entry is looked at (a format marker check). */
  checkMetadata?: (metadata: Readonly<Record<string, string>>) => void;
}

/** Parses and validates a safetensors file; throws an Error naming the first problem found. */
export function readSafetensors(bytes: Uint8Array, options: ReadSafetensorsOptions = {}): SafetensorsFile {
  const { maxHeaderBytes = MAX_HEADER_BYTES, maxTensors = Infinity, limitsOf } = options;
  const of = limitsOf ? ` of ${limitsOf}` : '';
  if (!(bytes instanceof Uint8Array)) throw new Error(`safetensors: expected the file as a Uint8Array, got ${describe(bytes)}`);
  if (bytes.length < 8)
    throw new Error(`safetensors: the file is ${bytes.length} bytes, shorter than the 8-byte header length that starts every file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (headerLength > maxHeaderBytes) {
    throw new Error(`safetensors: the header length at byte 0 says ${headerLength} bytes, over the ${maxHeaderBytes}-byte limit${of}`);
  }
  if (8 + headerLength > bytes.length) {
    throw new Error(
      `safetensors: the header length at byte 0 says ${headerLength} bytes (to byte ${8 + headerLength}) but the file is only ${bytes.length} bytes`,
    );
  }
  const header = parseHeader(bytes.subarray(8, 8 + headerLength), maxTensors, of);
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;

  // The metadata first, wherever it stands in the header: a caller's format check then refuses
  // a foreign file before any per-tensor work.
  const hasMetadata = Object.hasOwn(header, METADATA_KEY);
  if (Object.keys(header).length - (hasMetadata ? 1 : 0) > maxTensors) throw tooManyTensors(maxTensors, of);
  const metadata = hasMetadata ? checkMetadata(header[METADATA_KEY]) : {};
  options.checkMetadata?.(metadata);
  const entries: { name: string; dtype: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name !== METADATA_KEY) entries.push({ name, ...checkEntry(name, value) });
  }

  // The data section must be covered exactly: sorted by offset, each tensor starts where the
  // previous one ended, the first at 0 and the last at the end of the file.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  let previous = '';
  const tensors = new Map<string, SafetensorsEntry>();
  for (const e of entries) {
    if (e.end > dataLength) {
      throw new Error(
        `safetensors: tensor '${e.name}' data_offsets [${e.begin}, ${e.end}] end past the data section (${dataLength} bytes, file bytes ${dataStart}..${bytes.length})`,
      );
    }
    if (e.begin < expected) {
      throw new Error(
        `safetensors: tensor '${e.name}' data_offsets [${e.begin}, ${e.end}] overlap tensor '${previous}', which ends at ${expected} (file byte ${dataStart + e.begin})`,
      );
    }
    if (e.begin > expected) {
      const after = previous ? `after tensor '${previous}'` : 'at the start of the data section';
      throw new Error(
        `safetensors: a gap of ${e.begin - expected} bytes ${after} (file bytes ${dataStart + expected}..${dataStart + e.begin}): tensor '${e.name}' starts at ${e.begin}, expected ${expected}`,
      );
    }
    tensors.set(e.name, {
      name: e.name,
      dtype: e.dtype,
      shape: Object.freeze(e.shape),
      bytes: bytes.subarray(dataStart + e.begin, dataStart + e.end),
      fileOffset: dataStart + e.begin,
    });
    expected = e.end;
    previous = e.name;
  }
  if (expected !== dataLength) {
    const last = previous ? `the last tensor ('${previous}') ends at ${expected}` : 'there are no tensors';
    throw new Error(
      `safetensors: ${dataLength - expected} bytes at file bytes ${dataStart + expected}..${bytes.length} belong to no tensor (${last}, the data section is ${dataLength} bytes)`,
    );
  }
  return { metadata, tensors };
}

/**
 * The header bytes as a JSON object (UTF-8, `{`-first, no arrays or scalars). Its nesting and
 * its number of entries are measured before it is parsed (see json_scan.ts).
 */
function parseHeader(headerBytes: Uint8Array, maxTensors: number, of: string): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new Error(`safetensors: the header (file bytes 8..${8 + headerBytes.length}) is not valid UTF-8`);
  }
  if (!text.startsWith('{'))
    throw new Error(`safetensors: the header at byte 8 must start with '{', found ${JSON.stringify(text.slice(0, 12))}`);
  // + 1: __metadata__ is a member too
  const scan = scanJson(text, HEADER_DEPTH, maxTensors + 1);
  if (scan.problem === 'depth') {
    throw new Error(
      `safetensors: the header nests deeper than ${HEADER_DEPTH} levels at character ${scan.at} (expected an object of tensor entries, each with flat shape and data_offsets arrays)`,
    );
  }
  if (scan.problem === 'members') throw tooManyTensors(maxTensors, of);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new Error(`safetensors: the header (file bytes 8..${8 + headerBytes.length}) is not valid JSON: ${(e as Error).message}`);
  }
  if (!isPlainObject(header)) throw new Error(`safetensors: the header must be a JSON object, got ${describe(header)}`);
  return header;
}

function tooManyTensors(maxTensors: number, of: string): Error {
  return new Error(`safetensors: expected at most ${maxTensors} tensors (the limit${of}), found more in the header`);
}

function checkMetadata(value: unknown): Record<string, string> {
  if (!isPlainObject(value)) throw new Error(`safetensors: ${METADATA_KEY} must be an object of strings, got ${describe(value)}`);
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new Error(`safetensors: ${METADATA_KEY}['${key}'] must be a string, got ${describe(v)}`);
  }
  return value as Record<string, string>;
}

function checkEntry(name: string, value: unknown): { dtype: string; shape: number[]; begin: number; end: number } {
  const where = `safetensors: tensor '${name}'`;
  if (!isPlainObject(value)) throw new Error(`${where}: expected an object { dtype, shape, data_offsets }, got ${describe(value)}`);
  for (const key of Object.keys(value)) {
    if (key !== 'dtype' && key !== 'shape' && key !== 'data_offsets')
      throw new Error(`${where}: unexpected field '${key}' (expected dtype, shape, data_offsets)`);
  }
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype)) {
    throw new Error(`${where}: unknown dtype ${describe(dtype)} (expected one of ${Object.keys(DTYPE_BYTES).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount))
    throw new Error(`${where}: shape must be an array of non-negative integers, got ${describe(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    throw new Error(`${where}: data_offsets must be [begin, end] with 0 ≤ begin ≤ end, got ${describe(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  // Elements × element size must equal the byte span. A product past 2^53 is inexact but then
  // also far past any span a real file can have, so the comparison still refuses it.
  const span = end - begin;
  const needed = (shape as number[]).reduce((bytes, d) => bytes * d, DTYPE_BYTES[dtype]);
  if (needed !== span) {
    throw new Error(
      `${where}: shape [${(shape as number[]).join(', ')}] of ${dtype} (${DTYPE_BYTES[dtype]} bytes each) needs ${needed} bytes but data_offsets [${begin}, ${end}] span ${span}`,
    );
  }
  return { dtype, shape: [...(shape as number[])], begin, end };
}

/**
 * The tensor's values as f32: F32 as is, F16 / BF16 widened exactly, F64 rounded to the nearest
 * f32. Other dtypes are refused by name. Every value must be finite.
 */
export function toFloat32(entry: SafetensorsEntry, where = 'safetensors'): Float32Array {
  const { bytes, dtype, name } = entry;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = bytes.length / DTYPE_BYTES[dtype];
  const out = new Float32Array(size);
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < size; i++) out[i] = view.getFloat32(4 * i, true);
      break;
    case 'F64':
      for (let i = 0; i < size; i++) out[i] = view.getFloat64(8 * i, true);
      break;
    case 'F16':
      for (let i = 0; i < size; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      break;
    case 'BF16': {
      const word = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < size; i++) {
        word.setUint32(0, view.getUint16(2 * i, true) << 16);
        out[i] = word.getFloat32(0);
      }
      break;
    }
    default:
      throw new Error(`${where}: tensor '${name}' has dtype ${dtype}; only ${FLOAT_DTYPES.join(', ')} can be read as f32`);
  }
  for (let i = 0; i < size; i++) {
    if (!Number.isFinite(out[i])) {
      const raw = dtype === 'F64' && Number.isFinite(view.getFloat64(8 * i, true)) ? ' (out of f32 range)' : '';
      throw new Error(
        `${where}: tensor '${name}' element ${i} (file byte ${entry.fileOffset + i * DTYPE_BYTES[dtype]}) is ${out[i]}${raw}; weights must be finite`,
      );
    }
  }
  return out;
}

/** IEEE 754 binary16 bits → number (exact: every half is an f32). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/**
 * The bytes of a safetensors file of f32 tensors, in the given order, with `metadata` as
 * `__metadata__`. The header is padded with spaces so the data starts at a multiple of 8, as the
 * reference writer does.
 */
export function writeSafetensors(tensors: readonly TensorToWrite[], metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header[METADATA_KEY] = metadata;
  let offset = 0;
  for (const t of tensors) {
    if (t.name === METADATA_KEY || Object.hasOwn(header, t.name))
      throw new Error(`writeSafetensors: tensor name '${t.name}' is used twice or reserved`);
    const end = offset + t.data.length * 4;
    header[t.name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, end] };
    offset = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil((8 + json.length) / 8) * 8 - 8;
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, padded, true);
  view.setUint32(4, 0, true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let pos = 8 + padded;
  for (const t of tensors) {
    for (let i = 0; i < t.data.length; i++, pos += 4) view.setFloat32(pos, t.data[i], true);
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A short description of a value for error messages. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value))
    return `[${value
      .slice(0, 6)
      .map((v) => (typeof v === 'object' && v !== null ? '…' : JSON.stringify(v)))
      .join(', ')}${value.length > 6 ? ', …' : ''}]`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return `${typeof value} ${String(value)}`;
}
