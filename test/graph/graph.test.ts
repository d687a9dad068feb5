import { describe, expect, it } from 'vitest';
import {
  Affine,
  AddLayer,
  Graph,
  graphFromNet,
  MulLayer,
  Relu,
  shoppingGraph,
  Sigmoid,
  SoftmaxWithLoss,
  TwoLayerNet,
  type Backend,
  type Tensor,
} from '../../ts/index.js';
import { allBackends, randomValues } from '../helpers/backends.js';

const backends = await allBackends();
const arr = (v: unknown) => Array.from((v as Tensor).data);

describe('the shopping example (§5.4) as a graph', () => {
  it('gives the same price and gradients as the layers called one by one', () => {
    const { graph, apple, appleNum, orange, orangeNum, tax, price } = shoppingGraph();
    graph.forward();
    graph.backward(price);

    const mulApple = new MulLayer(),
      mulOrange = new MulLayer(),
      addFruit = new AddLayer(),
      mulTax = new MulLayer();
    const expectedPrice = mulTax.forward(addFruit.forward(mulApple.forward(100, 2), mulOrange.forward(150, 3)), 1.1);
    const [dAll, dTax] = mulTax.backward(1);
    const [dApplePrice, dOrangePrice] = addFruit.backward(dAll);
    const [dApple, dAppleNum] = mulApple.backward(dApplePrice);
    const [dOrange, dOrangeNum] = mulOrange.backward(dOrangePrice);

    // Same layers, same order of operations: equal to the last bit, not just close.
    expect(price.value).toBe(expectedPrice);
    expect([apple.grad, appleNum.grad, orange.grad, orangeNum.grad, tax.grad]).toEqual([dApple, dAppleNum, dOrange, dOrangeNum, dTax]);
    expect(price.value).toBeCloseTo(715, 10);
    expect(apple.grad).toBeCloseTo(2.2, 10);
    expect(appleNum.grad).toBeCloseTo(110, 10);
    expect(orange.grad).toBeCloseTo(3.3, 10);
    expect(orangeNum.grad).toBeCloseTo(165, 10);
    expect(tax.grad).toBeCloseTo(650, 10);
  });

  it('keeps the gradient of every edge: the add node passes 1.1 to both sides', () => {
    const { graph, price } = shoppingGraph();
    graph.forward();
    graph.backward(price);
    const add = price.inputs[0];
    expect(add.type).toBe('add');
    expect(price.inputGrad(0)).toBeCloseTo(1.1, 12);
    expect(add.inputGrad(0)).toBeCloseTo(1.1, 12);
    expect(add.inputGrad(1)).toBeCloseTo(1.1, 12);
    expect(add.inputs.map((n) => n.value)).toEqual([200, 450]);
  });

  it('steps forward, then backward, one operation node at a time', () => {
    const { graph, price } = shoppingGraph();
    const forward = [...graph.forwardSteps()].map((n) => n.name);
    expect(forward).toEqual(['mul1', 'mul2', 'add1', 'mul3']);
    const seen: string[] = [];
    for (const node of graph.backwardSteps(price)) seen.push(`${node.name}:${node.inputGrad(0) !== undefined}`);
    expect(seen).toEqual(['mul3:true', 'add1:true', 'mul2:true', 'mul1:true']);
    const steps = graph.forwardSteps();
    steps.next();
    expect(price.value).toBeUndefined(); // values are cleared before the first step and appear one by one
  });

  it('recomputes after an input is set: a third apple adds 110', () => {
    const { graph, appleNum, price } = shoppingGraph();
    graph.forward();
    graph.set(appleNum, 3);
    graph.forward();
    expect(price.value).toBeCloseTo(825, 10);
  });

  it('sums the gradients of a node used twice (a branch): d(a·a)/da = 2a', () => {
    const g = new Graph();
    const a = g.input('a', 3);
    const sq = g.mul(a, a);
    g.forward();
    g.backward(sq);
    expect(a.grad).toBe(6);
  });
});

describe.each(backends.map((b) => [b.name, b] as const))('tensor graphs on %s', (_name, backend: Backend) => {
  it('backward equals the layers called one by one on random inputs (Affine → Sigmoid → Affine → Relu)', () => {
    const x = backend.tensor(randomValues(5 * 2 * 3, 1), [5, 2, 3]); // N-D input, flattened by Affine
    const W1 = backend.tensor(randomValues(6 * 4, 2), [6, 4]),
      b1 = backend.tensor(randomValues(4, 3), [4]);
    const W2 = backend.tensor(randomValues(4 * 3, 4), [4, 3]),
      b2 = backend.tensor(randomValues(3, 5), [3]);
    const dout = backend.tensor(randomValues(5 * 3, 6), [5, 3]);

    const g = new Graph();
    const nx = g.input('x', x),
      nW1 = g.input('W1', W1),
      nb1 = g.input('b1', b1),
      nW2 = g.input('W2', W2),
      nb2 = g.input('b2', b2);
    const out = g.relu(g.affine(g.sigmoid(g.affine(nx, nW1, nb1)), nW2, nb2));
    g.forward();
    g.backward(out, dout);

    const a1 = new Affine(W1, b1),
      s = new Sigmoid(),
      a2 = new Affine(W2, b2),
      r = new Relu();
    const y = r.forward(a2.forward(s.forward(a1.forward(x))));
    const dx = a1.backward(s.backward(a2.backward(r.backward(dout))));

    expect(arr(out.value)).toEqual(arr(y));
    expect(nx.grad && (nx.grad as Tensor).shape).toEqual([5, 2, 3]);
    expect(arr(nx.grad)).toEqual(arr(dx));
    expect(arr(nW1.grad)).toEqual(arr(a1.dW));
    expect(arr(nb1.grad)).toEqual(arr(a1.db));
    expect(arr(nW2.grad)).toEqual(arr(a2.dW));
    expect(arr(nb2.grad)).toEqual(arr(a2.db));
    g.dispose();
  });

  it('TwoLayerNet as a graph: the same loss and gradients as net.gradient', () => {
    const net = new TwoLayerNet(backend, 6, 5, 3, { weightInitStd: 0.5, seed: 7 });
    const x = backend.tensor(randomValues(4 * 6, 8), [4, 6]);
    const t = backend.tensor([0, 2, 1, 2], [4]);
    const { graph, loss, params } = graphFromNet(net, x, t);
    expect(graph.nodes.filter((n) => n.op).map((n) => n.name)).toEqual(['Affine1', 'Relu1', 'Affine2', 'SoftmaxWithLoss']);
    graph.forward();
    graph.backward(loss);
    const grads = net.gradient(x, t);
    expect(loss.value).toBe(net.lastLayer.loss);
    for (const key of ['W1', 'b1', 'W2', 'b2']) expect(arr(params[key].grad)).toEqual(arr(grads[key]));
    expect(loss.inputGrad(1)).toBeNull(); // no gradient flows to the targets
    graph.dispose();
  });

  it('a weight shared by two branches gets the sum of their gradients', () => {
    const W = backend.tensor(randomValues(3 * 2, 9), [3, 2]),
      b = backend.tensor([0.1, -0.2], [2]);
    const x1 = backend.tensor(randomValues(2 * 3, 10), [2, 3]),
      x2 = backend.tensor(randomValues(4 * 3, 11), [4, 3]);
    const t1 = backend.tensor([0, 1], [2]),
      t2 = backend.tensor([1, 1, 0, 1], [4]);
    const g = new Graph();
    const nW = g.input('W', W),
      nb = g.input('b', b),
      nt1 = g.input('t1', t1),
      nt2 = g.input('t2', t2);
    const total = g.add(
      g.softmaxWithLoss(g.affine(g.input('x1', x1), nW, nb), nt1),
      g.softmaxWithLoss(g.affine(g.input('x2', x2), nW, nb), nt2),
    );
    g.forward();
    g.backward(total);

    const dW = new Float32Array(6);
    for (const [x, t] of [
      [x1, t1],
      [x2, t2],
    ]) {
      const affine = new Affine(W, b),
        loss = new SoftmaxWithLoss();
      loss.forward(affine.forward(x), t);
      affine.backward(loss.backward());
      affine.dW!.data.forEach((v, i) => (dW[i] += v));
    }
    const got = arr(nW.grad);
    dW.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 6));
    g.dispose();
  });
});

describe('misuse gets a clear error', () => {
  it('backward before forward, or after the graph changed', () => {
    const { graph, apple, price } = shoppingGraph();
    expect(() => graph.backward(price)).toThrow("Graph.backward('mul3'): forward() has not run yet; run forward() before backward()");
    graph.forward();
    graph.set(apple, 120);
    expect(() => graph.backward(price)).toThrow("input 'apple' was set after the last forward(); run forward() before backward()");
    graph.forward();
    graph.mul(price, graph.input('discount', 0.9));
    expect(() => graph.backward(price)).toThrow("node 'discount' was added after the last forward()");
  });

  it('a cycle is refused and the graph is left unchanged', () => {
    const { graph, price } = shoppingGraph();
    const mulApple = graph.nodes.find((n) => n.name === 'mul1')!;
    // Read along the arrows: mul1 feeds add1, which feeds mul3, which would feed mul1.
    expect(() => graph.setInput(mulApple, 0, price)).toThrow(
      "Graph.setInput('mul1', 0, 'mul3'): the graph has a cycle: mul1 → add1 → mul3 → mul1; the edge was not changed",
    );
    expect(mulApple.inputs[0].name).toBe('apple');
    graph.forward();
    expect(price.value).toBeCloseTo(715, 10);
  });

  it('tensors from two backends (or two instances of one) cannot meet in one graph', async () => {
    const [ts, wasm] = [backends[0], backends[1]];
    const g = new Graph();
    g.input('x', ts.zeros([2, 3]));
    expect(() => g.input('W', wasm.zeros([3, 2]))).toThrow(
      `Graph.input('W'): the tensor is on backend '${wasm.name}', but this graph runs on 'ts' (the backend of input 'x'); one graph runs on one backend`,
    );
    const otherTs = (await allBackends())[0];
    expect(() => g.input('b', otherTs.zeros([2]))).toThrow("the tensor is on another 'ts' backend instance");
  });

  it('wrong kinds, foreign nodes, bad dout and failing layers name the node', () => {
    const backend = backends[0];
    const g = new Graph();
    const x = g.input('x', backend.zeros([2, 3]));
    const n = g.input('n', 2);
    expect(() => g.mul(x, n)).toThrow(
      "Graph.mul: expected input 0 to be a number, but 'x' is a tensor (mul, add, exp, log, reciprocal and square take numbers",
    );
    expect(() => g.relu(n)).toThrow("Graph.relu: expected input 0 to be a tensor, but 'n' is a number");
    expect(() => new Graph().add(n, n)).toThrow("Graph.add: node 'n' belongs to another Graph");
    g.affine(x, g.input('W', backend.zeros([4, 2])), g.input('b', backend.zeros([2])));
    expect(() => g.forward()).toThrow(
      "Graph.forward: node affine 'Affine1' failed: Affine.forward: x has 3 features per row (shape [2, 3]) but W expects 4",
    );
    g.dispose();
    const h = new Graph();
    const hx = h.input('x', backend.zeros([2, 3]));
    const r = h.relu(hx);
    h.forward();
    expect(() => h.backward(r)).toThrow(
      "Graph.backward('Relu1'): the output is a tensor of shape [2, 3], so dout must be a tensor of that shape (got undefined)",
    );
    expect(() => h.backward(r, backend.zeros([3, 2]))).toThrow('expected dout of shape [2, 3]');
    expect(() => h.set(r, 1)).toThrow("Graph.set('Relu1'): expected an input node");
    expect(() => h.set(hx, 1)).toThrow("Graph.set('x'): expected a tensor like the input's current value, got a number");
  });
});
