import protobuf from 'protobufjs/light.js';
// The core, imported as the package's main entry: the build keeps this import (it is external to
// the /onnx bundle), so the classes below are the very ones the user's net is made of.
import { Affine, LIBRARY_VERSION, Relu, Sequential, Sigmoid, type Layer, type Tensor } from '../index.js';
import { ATTRIBUTE_INT, FLOAT, ONNX_SCHEMA } from './schema.js';

/** The ONNX operator set the export targets (Gemm, Relu, Sigmoid and Softmax as of opset 13). */
export const OPSET = 13;
/** ONNX IR version 7 is the first that opset 13 may use; every current runtime reads it. */
const IR_VERSION = 7;

let modelType: protobuf.Type | null = null;

/**
 * The net as an ONNX model for inference (`ModelProto` bytes): input `x` of shape
 * [batch, features] (batch is dynamic), output `probabilities` (the softmax of `predict`'s
 * scores), the weights as f32 initializers named as in `net.params`. Each Affine becomes a
 * `Gemm`, each activation a `Relu` or `Sigmoid`.
 */
export function toOnnx(net: Sequential): Uint8Array {
  if (!(net instanceof Sequential)) throw new Error(`toOnnx: expected a Sequential or TwoLayerNet, got ${net === null ? 'null' : typeof net}`);
  const nodes: object[] = [];
  const initializers: object[] = [];
  let current = 'x';
  let features: number | null = null;
  let classes = 0;
  let affines = 0;
  for (const [name, layer] of net.layers) {
    const output = `${name}_out`;
    if (layer instanceof Affine) {
      affines++;
      const [inputs, outputs] = layer.W.shape;
      features ??= inputs;
      classes = outputs;
      initializers.push(initializer(`W${affines}`, layer.W), initializer(`b${affines}`, layer.b));
      nodes.push({ name, opType: 'Gemm', input: [current, `W${affines}`, `b${affines}`], output: [output] });
    } else {
      nodes.push({ name, opType: activationOp(name, layer), input: [current], output: [output] });
    }
    current = output;
  }
  if (features === null) throw new Error('toOnnx: the net has no Affine layer, so its input size is unknown');
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
      input: [valueInfo('x', features)],
      output: [valueInfo('probabilities', classes)],
    },
  });
  return Model.encode(model).finish();
}

function activationOp(name: string, layer: Layer): string {
  if (layer instanceof Relu) return 'Relu';
  if (layer instanceof Sigmoid) return 'Sigmoid';
  throw new Error(`toOnnx: layer '${name}' is a ${layer.constructor.name}, which has no ONNX export yet (known: Affine, Relu, Sigmoid)`);
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
