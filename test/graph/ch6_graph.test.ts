import { describe, expect, it } from 'vitest';
import { BatchNormalization, Graph, graphFromNet, MultiLayerNetExtend, type Backend } from '../../ts/index.js';
import { explainStep, toDot, toSvg } from '../../ts/render/index.js';
import { allBackends, randomValues } from '../helpers/backends.js';
import { relativeMaxError } from '../helpers/ch6_reference.js';

// The chapter-6 layers in computational graphs: a BatchNorm node with γ and β as inputs (dγ and
// dβ on their edges), a Dropout node, graphFromNet of a MultiLayerNetExtend, and rendering.
const backends = await allBackends();

describe.each(backends.map((b) => [b.name, b] as const))('chapter-6 graph nodes on %s', (_name, backend: Backend) => {
  it('a BatchNorm node computes what the layer does, with dx, dγ and dβ on its edges', () => {
    const xv = randomValues(20, 1),
      gv = randomValues(5, 2).map((v) => v + 1.5),
      bv = randomValues(5, 3),
      dv = randomValues(20, 4);
    const g = new Graph();
    const [x, gamma, beta] = [
      g.input('x', backend.tensor(xv, [4, 5])),
      g.input('gamma', backend.tensor(gv, [5])),
      g.input('beta', backend.tensor(bv, [5])),
    ];
    const out = g.batchNorm(x, gamma, beta);
    expect(out.name).toBe('BatchNorm1');
    g.forward();
    g.backward(out, backend.tensor(dv, [4, 5]));
    const layer = new BatchNormalization(backend.tensor(gv, [5]), backend.tensor(bv, [5]));
    const want = layer.forward(backend.tensor(xv, [4, 5])).toArray();
    const dx = layer.backward(backend.tensor(dv, [4, 5])).toArray();
    expect([...(out.value as { data: Float32Array }).data]).toEqual([...want]);
    expect([...(x.grad as { data: Float32Array }).data]).toEqual([...dx]);
    expect([...(gamma.grad as { data: Float32Array }).data]).toEqual([...layer.dgamma!.data]);
    expect([...(beta.grad as { data: Float32Array }).data]).toEqual([...layer.dbeta!.data]);
    expect(explainStep(out, 'forward')).toContain('BatchNorm1: γ·(x − μ)/√(σ² + ε) + β');
    expect(explainStep(out, 'backward')).toContain('dγ = Σ xn·dout');
  });

  it('a Dropout node masks forward and backward with the same mask', () => {
    const g = new Graph();
    const x = g.input('x', backend.tensor(new Float32Array(40).fill(2), [4, 10]));
    const out = g.dropout(x, 'drop', { ratio: 0.5, seed: 3 });
    g.forward();
    g.backward(out, backend.tensor(new Float32Array(40).fill(1), [4, 10]));
    const y = (out.value as { data: Float32Array }).data,
      dx = (x.grad as { data: Float32Array }).data;
    const kept = [...y].filter((v) => v === 2).length;
    expect(kept).toBeGreaterThan(5);
    expect(kept).toBeLessThan(35);
    y.forEach((v, i) => expect(dx[i]).toBe(v / 2)); // dx = mask where y = 2·mask
    expect(explainStep(out, 'forward')).toContain('drop: x·mask');
  });

  it('graphFromNet of a MultiLayerNetExtend with BatchNorm: the same gradients as net.gradient, and it renders', async () => {
    const net = new MultiLayerNetExtend(backend, 6, [5], 3, { useBatchnorm: true, weightDecayLambda: 0, seed: 2 });
    const x = backend.tensor(randomValues(24, 5), [4, 6]),
      t = backend.tensor([0, 2, 1, 2], [4]);
    const { graph, loss, params } = graphFromNet(net, x, t);
    expect(Object.keys(params).sort()).toEqual(['W1', 'W2', 'b1', 'b2', 'beta1', 'gamma1']);
    expect(graph.nodes.map((n) => n.name)).toEqual(
      expect.arrayContaining(['Affine1', 'BatchNorm1', 'Activation_function1', 'Affine2', 'SoftmaxWithLoss']),
    );
    graph.forward();
    graph.backward(loss);
    expect(loss.value as number).toBeCloseTo(net.loss(x, t, true), 5);
    const grads = net.gradient(x, t);
    for (const key of ['W1', 'gamma1', 'beta1', 'W2']) {
      expect(relativeMaxError((params[key].grad as { data: Float32Array }).data, grads[key].toArray()), key).toBeLessThan(1e-5);
    }
    const dot = toDot(graph);
    expect(dot).toContain('BatchNorm1');
    expect(dot).toContain('gamma1');
    expect(await toSvg(graph)).toContain('BatchNorm1');
  });

  it('graphFromNet of a net with Dropout records a Dropout node of the same ratio', () => {
    const net = new MultiLayerNetExtend(backend, 6, [5], 3, { useDropout: true, dropoutRatio: 0.25, seed: 2 });
    const x = backend.tensor(randomValues(24, 5), [4, 6]),
      t = backend.tensor([0, 2, 1, 2], [4]);
    const { graph, loss } = graphFromNet(net, x, t);
    const drop = graph.nodes.find((n) => n.name === 'Dropout1')!;
    expect(drop).toBeDefined();
    graph.forward();
    graph.backward(loss);
    expect(Number.isFinite(loss.value as number)).toBe(true);
    expect((drop.op as unknown as { layer: { ratio: number } }).layer.ratio).toBe(0.25);
  });
});
