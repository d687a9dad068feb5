/**
 * backprop-wasm/onnx: export a trained net as an ONNX model that ONNX Runtime (and every other
 * ONNX engine) runs. Separate from the core so the core stays dependency-free; it needs the
 * optional peer dependency protobufjs, which encodes the protobuf.
 *
 * @module backprop-wasm/onnx
 */
export { toOnnx, OPSET } from './to_onnx.js';
