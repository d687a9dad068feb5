import protobuf from 'protobufjs/light.js';
// The core, imported as the package's main entry: the build keeps this import (these files are
// compiled one by one, not bundled), so the classes below are the very ones the user's net is made of.
import { Affine, LIBRARY_VERSION, Relu, Sequential, Sigmoid, type Layer, type Tensor } from '../index.js';
import { ATTRIBUTE_INT, FLOAT, ONNX_SCHEMA } from './schema.js';

/** The ONNX operator set the export targets (Gemm, Relu, Sigmoid and Softmax as of opset 13). */
export const OPSET = 13;
/** ONNX IR version 7 is the first that opset 13 may use; every current runtime reads it. */
const IR_VERSION = 7;

/** What one layer adds to the graph: its nodes and its weights (as ONNX initializers). */
interface Exported {
  nodes: object[];
  initializers: object[];
}

/**
 * One entry per layer class: how it becomes ONNX nodes, from the name of its input value to
 * `output`. `ordinal` counts the layers of this class from 1 (W1, W2, …, as in `net.params`).
 * Chapter 6–7 layers (BatchNormalization, Conv, MaxPool, Flatten) add one entry each.
 */
const EXPORTERS: readonly [new (...args: never[]) => Layer, (layer: never, name: string, input: string, output: string, ordinal: number) => Exported][] = [
  [Affine, (layer: Affine, name, input, output, i) => ({
    nodes: [{ name, opType: 'Gemm', input: [input, `W${i}`, `b${i}`], output: [output] }],
    initializers: [initializer(`W${i}`, layer.W), initializer(`b${i}`, layer.b)],
  })],
  [Relu, (_layer: Relu, name, input, output) => ({ nodes: [{ name, opType: 'Relu', input: [input], output: [output] }], initializers: [] })],
  [Sigmoid, (_layer: Sigmoid, name, input, output) => ({ nodes: [{ name, opType: 'Sigmoid', input: [input], output: [output] }], initializers: [] })],
];

let modelType: protobuf.Type | null = null;

/**
 * The net as an ONNX model for inference (`ModelProto` bytes): input `x` of shape
 * [batch, features] (batch is dynamic), output `probabilities` (the softmax of `predict`'s
 * scores), the weights as f32 initializers named as in `net.params`. Each Affine becomes a
 * `Gemm`, each activation a `Relu` or `Sigmoid`.
 */
export function toOnnx(net: Sequential): Uint8Array {
  if (!(net instanceof Sequential)) throw new Error(`toOnnx: expected a Sequential or TwoLayerNet, got ${net === null ? 'null' : typeof net}`);
  const affines = [...net.layers.values()].filter((l): l is Affine => l instanceof Affine);
  if (affines.length === 0) throw new Error('toOnnx: the net has no Affine layer, so its input size is unknown');
  const nodes: object[] = [];
  const initializers: object[] = [];
  const ordinals = new Map<unknown, number>();
  let current = 'x';
  for (const [name, layer] of net.layers) {
    const entry = EXPORTERS.find(([ctor]) => layer instanceof ctor);
    if (!entry) throw new Error(`toOnnx: layer '${name}' is a ${layer.constructor.name}, which has no ONNX export yet (known: ${EXPORTERS.map(([c]) => c.name).join(', ')})`);
    const ordinal = (ordinals.get(entry) ?? 0) + 1;
    ordinals.set(entry, ordinal);
    const exported = entry[1](layer as never, name, current, `${name}_out`, ordinal);
    nodes.push(...exported.nodes);
    initializers.push(...exported.initializers);
    current = `${name}_out`;
  }
  nodes.push({ name: 'Softmax', opType: 'Softmax', input: [current], output: ['probabilities'], attribute: [{ name: 'axis', type: ATTRIBUTE_INT, i: 1 }] });

  const Model = (modelType ??= protobuf.Root.fromJSON(ONNX_SCHEMA).lookupType('onnx.ModelProto'));
  const model = Model.fromObject({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'backprop-wasm',
    producerVersion: LIBRARY_VERSION,
    graph: {
      name: net.constructor.name,
      node: nodes,
      initializer: initializers,
      input: [valueInfo('x', affines[0].W.shape[0])],
      output: [valueInfo('probabilities', affines[affines.length - 1].W.shape[1])],
    },
  });
  return Model.encode(model).finish();
}

/** An f32 initializer: dims and little-endian raw bytes. */
function initializer(name: string, tensor: Tensor): object {
  const values = tensor.toArray();
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i], true);
  return { name, dims: [...tensor.shape], dataType: FLOAT, rawData: raw };
}

/** A [batch, size] f32 value: the batch dimension is symbolic, so any batch size runs. */
function valueInfo(name: string, size: number): object {
  return { name, type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: size }] } } } };
}
