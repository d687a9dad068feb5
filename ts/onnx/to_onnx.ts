import type protobufLight from 'protobufjs/light.js';
// The core, imported as the package's main entry: the build keeps this import (these files are
// compiled one by one, not bundled), so the classes below are the very ones the user's net is made of.
import { BatchNormalization, DeepConvNet, LIBRARY_VERSION, type Layer, Sequential, SimpleConvNet, type Tensor } from '../index.js';
// Types only: this file is compiled on its own, so a value import from a module other than
// '../index.js' would point at a file the package does not ship.
import { outputSize, windowFits } from '../core/window.js';
import type { LayerOf } from '../layers/kinds.js';
import type { LayerType } from '../layers/layer.js';
import { ATTRIBUTE_FLOAT, ATTRIBUTE_INT, ATTRIBUTE_INTS, FLOAT, INT64, ONNX_SCHEMA } from './schema.js';

/**
 * protobufjs is an optional peer dependency. It is imported here rather than by a static import,
 * so that without it this entry point still loads and `toOnnx` says what to install, as `toSvg`
 * does for @viz-js/viz (a static import fails at link time with Node's bare "Cannot find package
 * 'protobufjs'"). Awaited at the top level because `toOnnx` is synchronous.
 */
const peer: { protobuf: typeof protobufLight } | { missing: Error } = await import('protobufjs/light.js').then(
  (m) => ({ protobuf: m.default }),
  (e: unknown) => ({ missing: e as Error }),
);

/** The ONNX operator set the export targets (every operator used here as of opset 13). */
export const OPSET = 13;
/** ONNX IR version 7 is the first that opset 13 may use; every current runtime reads it. */
const IR_VERSION = 7;

/** Where a layer's nodes go: its name, the value it reads, the value it must write, the shape of one sample reaching it. */
interface Place {
  name: string;
  input: string;
  output: string;
  /** One sample's shape: [features] after an Affine, [C, H, W] after a Convolution or Pooling. */
  sample: readonly number[];
  /** The next number of a count: 'W' (Affine and Convolution share it, as `net.params` does), 'gamma'. */
  next(counter: string): number;
}

/** What one layer adds to the graph: its nodes, its weights (as ONNX initializers), and the shape of a sample leaving it. */
interface Exported {
  nodes: object[];
  initializers: object[];
  sample: readonly number[];
}

/** How a layer of one type becomes ONNX nodes; `L` is its class. */
interface Exporter<L extends Layer> {
  /** The sample shape `predict` takes when the net starts with this layer, or null when the layer keeps any shape. */
  input(layer: L): readonly number[] | null;
  /** Nodes that compute what the layer's test-mode `forward` (the one `predict` runs) computes. */
  nodes(layer: L, at: Place): Exported;
}

/** Every layer type's ONNX export: a new layer type needs its entry here (tsc says so). */
const EXPORTERS: { readonly [K in LayerType]: Exporter<LayerOf<K>> } = {
  Affine: {
    input: (layer) => [layer.W.shape[0]],
    nodes: (layer, at) => {
      const i = at.next('W');
      const [inputs, outputs] = layer.W.shape;
      const features = at.sample.reduce((a, d) => a * d, 1);
      if (features !== inputs)
        throw new Error(`toOnnx: layer '${at.name}' takes ${inputs} inputs but the layer before it gives ${features}`);
      // An Affine flattens [N, C, H, W] to [N, C·H·W] as the book's does; Gemm needs the 2-D input.
      const flat =
        at.sample.length > 1
          ? [{ name: `${at.name}_flatten`, opType: 'Flatten', input: [at.input], output: [`${at.name}_flat`], attribute: [int('axis', 1)] }]
          : [];
      return {
        nodes: [
          ...flat,
          { name: at.name, opType: 'Gemm', input: [flat.length ? `${at.name}_flat` : at.input, `W${i}`, `b${i}`], output: [at.output] },
        ],
        initializers: [initializer(`W${i}`, layer.W), initializer(`b${i}`, layer.b)],
        sample: [outputs],
      };
    },
  },
  Convolution: {
    input: (layer) => imageInput(layer),
    nodes: (layer, at) => {
      const i = at.next('W');
      const [filters, channels, fh, fw] = layer.W.shape;
      const [, h, w] = imageSample(at, channels);
      const { oh, ow } = windowOutput(at, h, w, fh, fw, layer.stride, layer.pad, 'filter');
      const attribute = [
        ints('kernel_shape', [fh, fw]),
        ints('strides', [layer.stride, layer.stride]),
        ints('pads', [layer.pad, layer.pad, layer.pad, layer.pad]),
      ];
      return {
        // W [FN, C, FH, FW] is ONNX Conv's weight layout as it is.
        nodes: [{ name: at.name, opType: 'Conv', input: [at.input, `W${i}`, `b${i}`], output: [at.output], attribute }],
        initializers: [initializer(`W${i}`, layer.W), initializer(`b${i}`, layer.b)],
        sample: [filters, oh, ow],
      };
    },
  },
  Pooling: {
    input: (layer) => imageInput(layer),
    nodes: (layer, at) => {
      const [c, h, w] = imageSample(at, null);
      const { poolH, poolW, stride, pad } = layer;
      const { oh, ow } = windowOutput(at, h, w, poolH, poolW, stride, pad, 'pooling window');
      const attribute = [ints('kernel_shape', [poolH, poolW]), ints('strides', [stride, stride]), ints('pads', [pad, pad, pad, pad])];
      if (pad === 0)
        return {
          nodes: [{ name: at.name, opType: 'MaxPool', input: [at.input], output: [at.output], attribute }],
          initializers: [],
          sample: [c, oh, ow],
        };
      // The book pads with zeros that take part in the max; ONNX MaxPool's pads never win (−∞). So
      // each output whose window reaches into the padding also takes the max with 0: a Max with a
      // constant [OH, OW] of 0 there and −∞ elsewhere. (A Pad of zeros before an unpadded MaxPool
      // would say the same, but ONNX Runtime's Pad+MaxPool fusion turns it into MaxPool's pads.)
      const floor = new Float32Array(oh * ow);
      const reachesPad = (start: number, size: number, extent: number) => start < 0 || start + size > extent;
      for (let y = 0; y < oh; y++) {
        for (let x = 0; x < ow; x++)
          floor[y * ow + x] = reachesPad(y * stride - pad, poolH, h) || reachesPad(x * stride - pad, poolW, w) ? 0 : -Infinity;
      }
      return {
        nodes: [
          { name: at.name, opType: 'MaxPool', input: [at.input], output: [`${at.name}_max`], attribute },
          { name: `${at.name}_padding`, opType: 'Max', input: [`${at.name}_max`, `${at.name}_floor`], output: [at.output] },
        ],
        initializers: [{ name: `${at.name}_floor`, dims: [oh, ow], dataType: FLOAT, rawData: f32Bytes(floor) }],
        sample: [c, oh, ow],
      };
    },
  },
  BatchNormalization: {
    input: (layer) => [layer.gamma.shape[0]],
    nodes: (layer, at) => {
      const i = at.next('gamma');
      const features = layer.gamma.shape[0];
      if (at.sample.reduce((a, d) => a * d, 1) !== features)
        throw new Error(
          `toOnnx: layer '${at.name}' normalises ${features} features but the layer before it gives [${at.sample.join(', ')}]`,
        );
      const names = [`gamma${i}`, `beta${i}`, `runningMean${i}`, `runningVar${i}`];
      const tensors = [layer.gamma, layer.beta, layer.runningMean, layer.runningVar];
      const initializers = names.map((n, k) => initializer(n, tensors[k]));
      // Test mode: (x − running mean)/√(running var + ε)·γ + β per feature. ONNX BatchNormalization
      // normalises per channel (dim 1), and ours per element of a flattened sample: an image is
      // flattened to [N, C·H·W] around it and reshaped back.
      const attribute = [{ name: 'epsilon', type: ATTRIBUTE_FLOAT, f: BatchNormalization.EPSILON }];
      if (at.sample.length === 1) {
        return {
          nodes: [{ name: at.name, opType: 'BatchNormalization', input: [at.input, ...names], output: [at.output], attribute }],
          initializers,
          sample: at.sample,
        };
      }
      const [flat, normed] = [`${at.name}_flat`, `${at.name}_normed`];
      return {
        nodes: [
          { name: `${at.name}_flatten`, opType: 'Flatten', input: [at.input], output: [flat], attribute: [int('axis', 1)] },
          { name: at.name, opType: 'BatchNormalization', input: [flat, ...names], output: [normed], attribute },
          { name: `${at.name}_reshape`, opType: 'Reshape', input: [normed, `${at.name}_shape`], output: [at.output] },
        ],
        initializers: [...initializers, int64Initializer(`${at.name}_shape`, [-1, ...at.sample])],
        sample: at.sample,
      };
    },
  },
  // The book's Dropout at test time scales by (1 − ratio) (no inverted dropout): a Mul, not ONNX's
  // Dropout, which is the identity at inference.
  Dropout: {
    input: () => null,
    nodes: (layer, at) => ({
      nodes: [{ name: at.name, opType: 'Mul', input: [at.input, `${at.name}_scale`], output: [at.output] }],
      initializers: [{ name: `${at.name}_scale`, dims: [], dataType: FLOAT, rawData: f32Bytes([1 - layer.ratio]) }],
      sample: at.sample,
    }),
  },
  Relu: { input: () => null, nodes: (_layer, at) => elementwise('Relu', at) },
  Sigmoid: { input: () => null, nodes: (_layer, at) => elementwise('Sigmoid', at) },
};

/** An activation: one ONNX operator of the same name, any shape in and out. */
function elementwise(opType: string, at: Place): Exported {
  return { nodes: [{ name: at.name, opType, input: [at.input], output: [at.output] }], initializers: [], sample: at.sample };
}

let modelType: protobufLight.Type | null = null;

/**
 * The net as an ONNX model for inference (`ModelProto` bytes): input `x` of the shape `predict`
 * takes — [batch, features] for an MLP, [batch, C, H, W] for a net that starts with a
 * Convolution or Pooling (a SimpleConvNet on MNIST: [batch, 1, 28, 28]) — with a dynamic batch,
 * and output `probabilities` (the softmax of `predict`'s scores). The weights are f32
 * initializers named as in `net.params` (W1, b1, gamma1, …). Each layer becomes: Affine → Gemm
 * (after a Flatten of an image), Convolution → Conv, Pooling → MaxPool (and a Max with 0 where a
 * window reaches into the padding, as the book's zero padding takes part in the max), BatchNormalization → BatchNormalization with the running statistics, Dropout → Mul
 * by (1 − ratio), Relu / Sigmoid → Relu / Sigmoid.
 */
export function toOnnx(net: Sequential): Uint8Array {
  if (!(net instanceof Sequential))
    throw new Error(`toOnnx: expected a Sequential or TwoLayerNet, got ${net === null ? 'null' : typeof net}`);
  if ('missing' in peer)
    throw new Error(`toOnnx needs the optional peer dependency protobufjs (npm install protobufjs): ${peer.missing.message}`, {
      cause: peer.missing,
    });
  const { protobuf } = peer;
  const nodes: object[] = [];
  const initializers: object[] = [];
  const counts = new Map<string, number>();
  const next = (counter: string) => {
    const n = (counts.get(counter) ?? 0) + 1;
    counts.set(counter, n);
    return n;
  };
  const inputSample = netInput(net);
  let sample = inputSample;
  let current = 'x';
  for (const [name, layer] of net.layers) {
    const exported = exporter(name, layer).nodes(layer, { name, input: current, output: `${name}_out`, sample, next });
    nodes.push(...exported.nodes);
    initializers.push(...exported.initializers);
    sample = exported.sample;
    current = `${name}_out`;
  }
  if (sample.length !== 1)
    throw new Error(
      `toOnnx: the net's scores must be [batch, classes]; its last layer gives [batch, ${sample.join(', ')}] (end it with an Affine)`,
    );
  nodes.push({ name: 'Softmax', opType: 'Softmax', input: [current], output: ['probabilities'], attribute: [int('axis', 1)] });

  modelType ??= protobuf.Root.fromJSON(ONNX_SCHEMA).lookupType('onnx.ModelProto');
  const Model = modelType;
  const model = Model.fromObject({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'backprop-wasm',
    producerVersion: LIBRARY_VERSION,
    graph: {
      name: net.constructor.name,
      node: nodes,
      initializer: initializers,
      input: [valueInfo('x', inputSample)],
      output: [valueInfo('probabilities', sample)],
    },
  });
  return Model.encode(model).finish();
}

/** The export of `layer`'s type, or an error naming the layer. */
function exporter(name: string, layer: Layer): Exporter<Layer> {
  // as ts/layers/kinds.ts's entryOf (a value this separately compiled entry point cannot import)
  const type: unknown = (layer as { type?: unknown } | null)?.type;
  const entry: Exporter<Layer> | undefined =
    typeof type === 'string' && Object.hasOwn(EXPORTERS, type) ? EXPORTERS[type as LayerType] : undefined;
  if (!entry)
    throw new Error(
      `toOnnx: layer '${name}' is a ${layer.constructor.name}, which has no ONNX export yet (known: ${Object.keys(EXPORTERS).join(', ')})`,
    );
  return entry;
}

/**
 * The shape of one sample `predict` takes: a SimpleConvNet's inputDim; else, from the first layer
 * that tells (activations and Dropout keep any shape), the [C, H, W] a Convolution or Pooling
 * last saw, an Affine's inputs or a BatchNormalization's features.
 */
function netInput(net: Sequential): readonly number[] {
  if (net instanceof SimpleConvNet || net instanceof DeepConvNet) return net.inputDim;
  for (const [name, layer] of net.layers) {
    const input = exporter(name, layer).input(layer);
    if (input !== null) return input;
  }
  throw new Error('toOnnx: the net has no Affine, Convolution or BatchNormalization layer, so its input size is unknown');
}

/** The [C, H, W] a Convolution or Pooling at the start of a net last saw (it has no other way to know). */
function imageInput(layer: { readonly type: LayerType; readonly inputShape: readonly number[] | null }): readonly number[] {
  if (layer.inputShape === null)
    throw new Error(
      `toOnnx: the net starts with a ${layer.type} that has not seen an input yet, so the [C, H, W] it takes is unknown: run predict on one batch first`,
    );
  return layer.inputShape;
}

/** The [C, H, W] of an image sample reaching a Convolution or Pooling (with `channels` channels, when it says). */
function imageSample(at: Place, channels: number | null): readonly number[] {
  if (at.sample.length !== 3 || (channels !== null && at.sample[0] !== channels)) {
    throw new Error(
      `toOnnx: layer '${at.name}' takes images [${channels ?? 'C'}, H, W] but the layer before it gives [${at.sample.join(', ')}]`,
    );
  }
  return at.sample;
}

/** The output height and width of a window (the one geometry helper, ts/core/window.ts); the window must fit. */
function windowOutput(
  at: Place,
  h: number,
  w: number,
  fh: number,
  fw: number,
  stride: number,
  pad: number,
  what: string,
): { oh: number; ow: number } {
  const g = { n: 1, c: 1, h, w, fh, fw, stride, pad };
  if (!windowFits(g)) throw new Error(`toOnnx: layer '${at.name}': a ${fh}×${fw} ${what} with pad ${pad} does not fit a ${h}×${w} input`);
  return outputSize(g);
}

function int(name: string, i: number): object {
  return { name, type: ATTRIBUTE_INT, i };
}

function ints(name: string, values: number[]): object {
  return { name, type: ATTRIBUTE_INTS, ints: values };
}

/** An f32 initializer: dims and little-endian raw bytes. */
function initializer(name: string, tensor: Tensor): object {
  return { name, dims: [...tensor.shape], dataType: FLOAT, rawData: f32Bytes(tensor.toArray()) };
}

function f32Bytes(values: ArrayLike<number>): Uint8Array {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i], true);
  return raw;
}

/** A 1-D int64 initializer (Reshape's shape). */
function int64Initializer(name: string, values: number[]): object {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  for (const [i, v] of values.entries()) view.setBigInt64(8 * i, BigInt(v), true);
  return { name, dims: [values.length], dataType: INT64, rawData: raw };
}

/** A [batch, ...sample] f32 value: the batch dimension is symbolic, so any batch size runs. */
function valueInfo(name: string, sample: readonly number[]): object {
  return {
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'batch' }, ...sample.map((d) => ({ dimValue: d }))] } } },
  };
}
