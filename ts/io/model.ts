import { Backend } from '../core/backend.js';
import type { Sequential } from '../nets/sequential.js';
import type { Optimizer } from '../training/optimizers.js';
import { formatShape, type Tensor } from '../core/tensor.js';
import { buildNet, checkArchitecture, describeNet, type ParamSpec } from './architecture.js';
import { checkOptimizer, describeOptimizer, isOptimizerTensor, setOptimizerState } from './optimizer_state.js';
import { scanJson } from './json_scan.js';
import { firstNegative } from '../core/checks.js';
import { readSafetensors, toFloat32, writeSafetensors, type SafetensorsEntry } from './safetensors.js';

/** `__metadata__.format` of the files this library writes. */
export const MODEL_FORMAT = 'backprop-wasm';
/** The version of the layout below; files of a newer version are refused. */
export const MODEL_FORMAT_VERSION = 1;
/** The library's version (package.json's; a test keeps them equal). */
export const LIBRARY_VERSION = '0.1.0';

/**
 * The most tensors a model file may have. A layer keeps at most 4 (BatchNormalization: γ, β and
 * the running mean and variance) and an optimizer at most 2 per trained param (Adam's m and v),
 * so 8 per layer: this is a net of 4,096 layers with Adam state. `saveModel` refuses bigger nets,
 * so that every file it writes loads.
 */
export const MODEL_MAX_TENSORS = 32_768;
/**
 * The longest header of a model file: its tensors' entries (about 100 bytes each) and the
 * architecture (about 200 bytes a layer) of the largest net above fit in 4.5 MB; twice that
 * bounds what `loadModel` parses, so a hostile header is refused in milliseconds.
 */
export const MODEL_MAX_HEADER_BYTES = 8 * 2 ** 20;
/**
 * How deep the architecture and optimizer JSON may nest: the architecture's layers' kernel
 * lists are at depth 4; the room above is for future fields, not for 100k nested arrays.
 */
export const MODEL_JSON_DEPTH = 8;

/** What the limits above are for, as their error messages say. */
const LIMITS_OF = `a ${MODEL_FORMAT} model file`;

export interface SaveModelOptions {
  /** Also save this optimizer's state (v, h, m, step count), so training resumes exactly. */
  optimizer?: Optimizer;
}

export interface LoadedModel {
  net: Sequential;
  /** The optimizer, when the file has one. */
  optimizer?: Optimizer;
}

/**
 * The bytes of a `.safetensors` file holding the net's parameters (W1, b1, … as f32), its
 * architecture (in `__metadata__`) and, with `optimizer`, the optimizer's state.
 */
export function saveModel(net: Sequential, options: SaveModelOptions = {}): Uint8Array {
  const { spec, tensors } = describeNet(net);
  const { params } = checkArchitecture(spec);
  const named = params.flat().map((p, i) => ({ name: p.name, shape: p.shape, data: tensors[i].toArray() }));
  const metadata: Record<string, string> = {
    format: MODEL_FORMAT,
    format_version: String(MODEL_FORMAT_VERSION),
    library_version: LIBRARY_VERSION,
    architecture: JSON.stringify(spec),
  };
  if (options.optimizer !== undefined) {
    const saved = describeOptimizer(options.optimizer, net.params);
    metadata.optimizer = JSON.stringify(saved.spec);
    for (const { name, tensor } of saved.tensors) named.push({ name, shape: [...tensor.shape], data: tensor.toArray() });
  }
  const bytes = writeSafetensors(named, metadata);
  const headerBytes = new DataView(bytes.buffer).getUint32(0, true);
  if (named.length > MODEL_MAX_TENSORS || headerBytes > MODEL_MAX_HEADER_BYTES) {
    throw new Error(
      `saveModel: the net needs ${named.length} tensors and a ${headerBytes}-byte header; ${LIMITS_OF} holds at most ${MODEL_MAX_TENSORS} tensors and ${MODEL_MAX_HEADER_BYTES} bytes of header, so loadModel could not read it back`,
    );
  }
  return bytes;
}

/**
 * The net (and optimizer, if saved) of a file written by `saveModel`, on `backend`, with
 * bit-identical parameters. The whole file is checked before anything is allocated on the
 * backend; a bad file gets an Error naming the problem (and the byte offset where one applies).
 */
export function loadModel(backend: Backend, bytes: Uint8Array): LoadedModel {
  if (!(backend instanceof Backend))
    throw new Error(`loadModel: expected a Backend (from createBackend), got ${backend === null ? 'null' : typeof backend}`);
  const file = readSafetensors(bytes, {
    maxHeaderBytes: MODEL_MAX_HEADER_BYTES,
    maxTensors: MODEL_MAX_TENSORS,
    limitsOf: LIMITS_OF,
    checkMetadata: checkFormat,
  });
  const { metadata } = file;
  const { spec, params } = checkArchitecture(parseJson(metadata.architecture, 'architecture'));
  const modelParams = params.flat();
  const stateNames = [...file.tensors.keys()].filter(isOptimizerTensor);
  let optimizer: ReturnType<typeof checkOptimizer> | null = null;
  if (metadata.optimizer !== undefined) optimizer = checkOptimizer(parseJson(metadata.optimizer, 'optimizer'), stateNames, modelParams);
  else if (stateNames.length > 0)
    throw new Error(`loadModel: the file has optimizer state (${stateNames[0]}, …) but no optimizer metadata`);
  const expected = [...modelParams, ...(optimizer?.expected ?? [])];
  const values = decodeExpected(file.tensors, expected);

  // Everything is checked, values included: now allocate on the backend.
  const created: Tensor[] = [];
  const toTensor = (i: number): Tensor => {
    const t = backend.tensor(values[i], expected[i].shape);
    created.push(t);
    return t;
  };
  let next = 0;
  let layerTensors: Tensor[][];
  try {
    layerTensors = params.map((list) => list.map(() => toTensor(next++)));
  } catch (e) {
    for (const t of created) t.dispose();
    throw e;
  }
  const net = buildNet(backend, spec, layerTensors);
  if (!optimizer) return { net };
  try {
    const state = new Map<string, Tensor>();
    for (const p of optimizer.expected) state.set(p.name, toTensor(next++));
    return { net, optimizer: setOptimizerState(optimizer.optimizer, state) };
  } catch (e) {
    net.dispose();
    for (const t of created.slice(modelParams.length)) t.dispose();
    throw e;
  }
}

/** The format marker and version, checked before any tensor entry of the file is looked at. */
function checkFormat(metadata: Readonly<Record<string, string>>): void {
  if (metadata.format !== MODEL_FORMAT) {
    const found = metadata.format === undefined ? 'no __metadata__.format' : `format ${JSON.stringify(metadata.format)}`;
    throw new Error(
      `loadModel: expected a ${MODEL_FORMAT} model file, found ${found} (a PyTorch nn.Sequential file loads with importTorchMlp)`,
    );
  }
  const version = Number(metadata.format_version);
  if (!Number.isSafeInteger(version) || version < 1)
    throw new Error(`loadModel: expected format_version to be a positive integer, got ${JSON.stringify(metadata.format_version)}`);
  if (version > MODEL_FORMAT_VERSION) {
    throw new Error(
      `loadModel: the file has format version ${version} (written by backprop-wasm ${metadata.library_version ?? '?'}); this version (${LIBRARY_VERSION}) reads up to ${MODEL_FORMAT_VERSION}`,
    );
  }
}

/** The f32 values of exactly the `expected` tensors (no more, no fewer, each F32 of its shape). */
function decodeExpected(tensors: ReadonlyMap<string, SafetensorsEntry>, expected: readonly ParamSpec[]): Float32Array[] {
  const names = new Set(expected.map((p) => p.name));
  const missing = expected.filter((p) => !tensors.has(p.name)).map((p) => p.name);
  if (missing.length > 0) throw new Error(`loadModel: the architecture needs tensors the file lacks: ${listNames(missing)}`);
  const extra = [...tensors.keys()].filter((n) => !names.has(n));
  if (extra.length > 0) throw new Error(`loadModel: the file has tensors the architecture does not use: ${listNames(extra)}`);
  for (const p of expected) {
    const entry = tensors.get(p.name)!;
    if (entry.dtype !== 'F32')
      throw new Error(`loadModel: tensor '${p.name}' is ${entry.dtype}; model files hold F32 (for other dtypes use importTorchMlp)`);
    if (formatShape(entry.shape) !== formatShape(p.shape)) {
      throw new Error(
        `loadModel: tensor '${p.name}' has shape ${formatShape(entry.shape)} but the architecture needs ${formatShape(p.shape)}`,
      );
    }
  }
  return expected.map((p) => {
    const entry = tensors.get(p.name)!;
    const values = toFloat32(entry, 'loadModel');
    const bad = p.nonNegative ? firstNegative(values) : -1;
    if (bad >= 0)
      throw new Error(
        `loadModel: tensor '${p.name}' element ${bad} (file byte ${entry.fileOffset + 4 * bad}) is ${values[bad]}; expected ≥ 0 (${p.nonNegative})`,
      );
    return values;
  });
}

/** Up to 10 names, then how many there are: an error message stays short for a file of 30,000 stray tensors. */
function listNames(names: readonly string[]): string {
  return names.length <= 10 ? names.join(', ') : `${names.slice(0, 10).join(', ')}, … (${names.length} in all)`;
}

function parseJson(text: string | undefined, field: string): unknown {
  if (text === undefined) throw new Error(`loadModel: __metadata__ has no '${field}'`);
  const scan = scanJson(text, MODEL_JSON_DEPTH);
  if (scan.problem)
    throw new Error(
      `loadModel: __metadata__.${field} nests deeper than ${MODEL_JSON_DEPTH} levels at character ${scan.at} (expected JSON such as saveModel writes)`,
    );
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`loadModel: __metadata__.${field} is not valid JSON: ${(e as Error).message}`);
  }
}
