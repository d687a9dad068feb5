// Draws the figures the README and docs/guide.md show: docs/shopping.svg, the book's shopping example after
// forward and backward, and docs/two_layer_net.svg, the book's TwoLayerNet (784-50-10) on a
// seeded batch of 3, its tensors shown by shape and norm. Run by scripts/build.sh; the output is deterministic, so it changes only
// when the graph code or the renderer does.
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createBackend, graphFromNet, Random, shoppingGraph, TwoLayerNet } from '../ts/index.js';
import { toSvg } from '../ts/render/index.js';

const docs = resolve(import.meta.dirname, '..', 'docs');
mkdirSync(docs, { recursive: true });

const { graph, price } = shoppingGraph();
graph.forward();
graph.backward(price);
const svg = await toSvg(graph, { caption: 'forward values above each edge (black), gradients below (red)' });
writeFileSync(resolve(docs, 'shopping.svg'), svg);
console.log(`[docs] docs/shopping.svg ${svg.length} bytes`);

const backend = await createBackend('ts');
const net = new TwoLayerNet(backend, 784, 50, 10, { seed: 1 });
const rng = new Random(2);
const x = backend.tensor(
  Float32Array.from({ length: 3 * 784 }, () => rng.uniform()),
  [3, 784],
);
const t = backend.tensor([7, 2, 1], [3]);
const netGraph = graphFromNet(net, x, t);
netGraph.graph.forward();
netGraph.graph.backward(netGraph.loss);
const netSvg = await toSvg(netGraph.graph, {
  caption: 'TwoLayerNet, batch of 3: shape and L2 norm of each value (black) and gradient (red)',
});
writeFileSync(resolve(docs, 'two_layer_net.svg'), netSvg);
console.log(`[docs] docs/two_layer_net.svg ${netSvg.length} bytes`);
