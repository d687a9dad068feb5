import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { installPackedPackage, runInApp as runInApp_ } from '../helpers/pack.js';

// The entry points of issue 13 as a user installs them: backprop-wasm/onnx (with its optional
// peer protobufjs installed) and backprop-wasm/node, imported by name from the packed tarball.
// Both must share the core's classes: a net made with 'backprop-wasm' is accepted by toOnnx,
// and a model loaded by loadModelFile is a Sequential of the core.
const root = ROOT;
const work = mkdtempSync(join(tmpdir(), 'backprop-wasm-onnx-pack-'));
let app: string;
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(() => {
  app = installPackedPackage(work, ['index.js', 'onnx/index.js', 'io/node.js']);
  // The optional peer comes from this project's own node_modules, not from npm: installing it by
  // name needs its registry metadata in npm's cache, which `npm ci` does not leave (CI runs on
  // an empty cache). Node resolves the link to its real folder, where protobufjs's own
  // dependencies are.
  symlinkSync(join(root, 'node_modules', 'protobufjs'), join(app, 'node_modules', 'protobufjs'), 'dir');
}, 120_000);

const runInApp = (code: string) => runInApp_(app, code);

it('backprop-wasm/node saves and loads model files; backprop-wasm/onnx exports the loaded net', () => {
  const out = runInApp(`import { createBackend, Sequential, SimpleConvNet, Adam, saveModel, loadModel } from 'backprop-wasm';
import { saveModelFile, loadModelFile } from 'backprop-wasm/node';
import { toOnnx } from 'backprop-wasm/onnx';
import protobuf from 'protobufjs';
const backend = await createBackend('wasm');
const net = Sequential.mlp(backend, [4, 3, 2]);
const written = await saveModelFile('m.safetensors', net, { optimizer: new Adam() });
const { net: loaded, optimizer } = await loadModelFile(backend, 'm.safetensors');
const missing = await loadModelFile(backend, 'nope.safetensors').then(() => 'loaded', (e) => e.message);
const cnn = loadModel(backend, saveModel(new SimpleConvNet(backend, { inputDim: [1, 8, 8], filterNum: 2, filterSize: 3, hiddenSize: 4 }))).net;
// the bundle keeps the class names the library prints and users compare
const names = [loaded.constructor.name, cnn.constructor.name];
const gone = Sequential.mlp(backend, [2, 2]);
gone.dispose();
const disposed = (() => { try { gone.predict(null); } catch (e) { return e.message; } })();
const onnx = toOnnx(net);
// Decode the graph's node types with protobufjs's reader: field 7 (graph) → field 1 (node) → field 4 (op_type).
const reader = protobuf.Reader.create(onnx);
const ops = [];
while (reader.pos < reader.len) {
  const tag = reader.uint32();
  if (tag >>> 3 !== 7) { reader.skipType(tag & 7); continue; }
  const graph = protobuf.Reader.create(reader.bytes());
  while (graph.pos < graph.len) {
    const t = graph.uint32();
    if (t >>> 3 !== 1) { graph.skipType(t & 7); continue; }
    const node = protobuf.Reader.create(graph.bytes());
    while (node.pos < node.len) { const n = node.uint32(); if (n >>> 3 === 4) ops.push(node.string()); else node.skipType(n & 7); }
  }
}
console.log(JSON.stringify({ names, disposed, cnnOnnx: toOnnx(cnn).length > 0, written, isSequential: loaded instanceof Sequential, optimizer: optimizer.constructor.name, same: [...loaded.params.W1.data].join() === [...net.params.W1.data].join(), missing, ops }));
`);
  expect(out).toMatchObject({ isSequential: true, optimizer: 'Adam', same: true, ops: ['Gemm', 'Relu', 'Gemm', 'Softmax'], cnnOnnx: true });
  // Was "_Sequential": esbuild renames a class that names itself inside its body (Sequential.mlp did).
  expect(out.names).toEqual(['Sequential', 'SimpleConvNet']);
  expect(out.disposed).toMatch(/^Sequential\.predict: this net was disposed/);
  expect(out.written).toBeGreaterThan(4 * (4 * 3 + 3 + 3 * 2 + 2));
  expect(out.missing).toMatch(/^loadModelFile: cannot read nope\.safetensors: ENOENT/);
});
