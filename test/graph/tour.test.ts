import { beforeAll, describe, expect, it } from 'vitest';
import { createBackend, Graph, type GraphNode, type Tensor, TwoLayerNet } from '../../ts/index.js';
import { explainStep, toDot } from '../../ts/render/index.js';
import type { Backend } from '../../ts/core/backend.js';
import {
  AFFINE,
  type Built,
  type Context,
  FIGURE_IDS,
  figureById,
  figures,
  nudge,
  runTo,
  SOFTMAX,
  stepCount,
  type TourData,
  toBase64,
} from '../../demo/graph/figures.js';
import { EN, KO, TEXTS } from '../../demo/graph/texts.js';
import { makeTourData } from '../../demo/graph/tour_data.js';

// Every figure of the tour, checked against hand-computed values (to 1e-12 on numbers) or against
// the layer it derives; the elementary nodes against their derivatives.
let backend: Backend;
let data: TourData;
beforeAll(async () => {
  backend = await createBackend('ts');
  data = await makeTourData();
}, 60_000);

const ctx = (lang: 'en' | 'ko' = 'en'): Context => ({ backend, t: TEXTS[lang], data });
/** The figure run to its end: forward and backward done. */
function ran(id: (typeof FIGURE_IDS)[number], lang: 'en' | 'ko' = 'en'): Built {
  const figure = figureById(id);
  const c = ctx(lang);
  return runTo(figure, c, stepCount(figure.build(c)) - 1).built;
}
const node = (b: Built, name: string): GraphNode => b.graph.nodes.find((n) => n.name === name)!;
const close = (a: number, b: number, tol = 1e-12) => expect(Math.abs(a - b), `${a} vs ${b}`).toBeLessThanOrEqual(tol);
const values = (v: unknown) => Array.from((v as Tensor).data);

describe('the elementary nodes', () => {
  it('exp, log, reciprocal and square: forward f(x), backward dout·f′(x), named as the book draws them', () => {
    const g = new Graph();
    const x = g.input('x', 0.7);
    const nodes = { exp: g.exp(x), log: g.log(x), reciprocal: g.reciprocal(x), square: g.square(x) };
    const out = g.add(g.add(nodes.exp, nodes.log), g.add(nodes.reciprocal, nodes.square));
    g.forward();
    g.backward(out, 2);
    close(nodes.exp.value as number, Math.exp(0.7));
    close(nodes.log.value as number, Math.log(0.7));
    close(nodes.reciprocal.value as number, 1 / 0.7);
    close(nodes.square.value as number, 0.49);
    close(nodes.exp.inputGrad(0) as number, 2 * Math.exp(0.7));
    close(nodes.log.inputGrad(0) as number, 2 / 0.7);
    close(nodes.reciprocal.inputGrad(0) as number, -2 / 0.49);
    close(nodes.square.inputGrad(0) as number, 2 * 1.4);
    close(x.grad as number, 2 * (Math.exp(0.7) + 1 / 0.7 - 1 / 0.49 + 1.4));
    expect(Object.values(nodes).map((n) => n.name)).toEqual(['exp1', 'log1', 'reciprocal1', 'square1']);
  });

  it('agree with a central difference', () => {
    for (const op of ['exp', 'log', 'reciprocal', 'square'] as const) {
      const value = (x: number) => {
        const g = new Graph();
        const y = g[op](g.input('x', x));
        g.forward();
        return y.value as number;
      };
      const g = new Graph();
      const x = g.input('x', 1.3);
      const y = g[op](x);
      g.forward();
      g.backward(y);
      const h = 1e-5;
      expect(Math.abs((x.grad as number) - (value(1.3 + h) - value(1.3 - h)) / (2 * h)), op).toBeLessThan(1e-8);
    }
  });

  it('refuse a value outside their domain with the node and the domain named', () => {
    const g = new Graph();
    g.log(g.input('x', 0));
    expect(() => g.forward()).toThrow("Graph.forward: node log 'log1' failed: log(0) is -Infinity; expected x > 0");
    const h = new Graph();
    h.reciprocal(h.input('x', 0));
    expect(() => h.forward()).toThrow('reciprocal(0) is Infinity; expected x ≠ 0');
    expect(() => new Graph().exp(new Graph().input('x', 1))).toThrow('belongs to another Graph');
  });

  it('draw their symbol and their local derivative, and explain it with the numbers', () => {
    const b = ran('sigmoid');
    const dot = toDot(b.graph);
    expect(dot).toContain('label="exp", shape=circle');
    expect(dot).toContain('label="/", shape=circle');
    expect(dot).toContain('∂y/∂x = exp(x) = y');
    expect(dot).toContain('∂y/∂x = −1/x² = −y²');
    expect(toDot(ran('chain-rule').graph)).toContain('label="**2", shape=circle');
    expect(explainStep(node(b, 'y'), 'backward')).toBe('y: ∂y/∂x = −1/x² = −y², so 1 × −(0.7311)² = -0.5344 goes back to add1');
    expect(explainStep(node(b, 'exp1'), 'backward', { texts: KO.ops })).toBe(
      'exp1: 국소적 미분 ∂y/∂x = exp(x) = y이므로 -0.5344 × 0.3679 = -0.1966 → mul1',
    );
  });
});

describe('the tour figures', () => {
  it('are the notes’ ten, in order, with a title and an explanation in both languages', () => {
    expect(figures.map((f) => f.id)).toEqual([
      'apple',
      'chain-rule',
      'add',
      'mul',
      'shopping',
      'relu',
      'sigmoid',
      'affine',
      'softmax-with-loss',
      'two-layer-net',
    ]);
    for (const t of [EN, KO]) for (const id of FIGURE_IDS) expect(t.figures[id].intro.length, `${t.htmlLang} ${id}`).toBeGreaterThan(50);
    const ko =
      JSON.stringify(Object.values(KO.figures)) + KO.lead + KO.ops.add.backwardText.toString() + KO.ops.mul.backwardText.toString();
    for (const term of ['순전파', '역전파', '계산 그래프', '국소적 계산', '연쇄법칙', '덧셈 노드', '곱셈 노드', '기울기'])
      expect(ko).toContain(term);
  });

  it('apple: 100 × 2 × 1.1 = 220; backward 2.2, 110, 200', () => {
    for (const lang of ['en', 'ko'] as const) {
      const b = ran('apple', lang);
      const n = TEXTS[lang].names;
      close(b.output.value as number, 220);
      close(node(b, n.apple).grad as number, 2.2);
      close(node(b, n.appleNum).grad as number, 110);
      close(node(b, n.tax).grad as number, 200);
    }
  });

  it('chain-rule: z = (1 + 2)² = 9, ∂z/∂t = 2t = 6, ∂z/∂x = ∂z/∂y = 6', () => {
    const b = ran('chain-rule');
    close(b.output.value as number, 9);
    close(node(b, 't').grad as number, 6);
    close(node(b, 'x').grad as number, 6);
    close(node(b, 'y').grad as number, 6);
  });

  it('add: 10 + 5 = 15, and 1.3 passes to both; mul: 10 × 5 = 50, 1.3·5 = 6.5 and 1.3·10 = 13', () => {
    const add = ran('add');
    close(add.output.value as number, 15);
    close(node(add, 'x').grad as number, 1.3);
    close(node(add, 'y').grad as number, 1.3);
    const mul = ran('mul');
    close(mul.output.value as number, 50);
    close(node(mul, 'x').grad as number, 6.5);
    close(node(mul, 'y').grad as number, 13);
  });

  it('shopping: 715 and the gradients 2.2, 110, 3.3, 165, 650, in either language', () => {
    for (const lang of ['en', 'ko'] as const) {
      const b = ran('shopping', lang);
      const n = TEXTS[lang].names;
      close(b.output.value as number, 715);
      const grads = [n.apple, n.appleNum, n.orange, n.orangeNum, n.tax].map((name) => node(b, name).grad as number);
      [2.2, 110, 3.3, 165, 650].forEach((g, i) => close(grads[i], g));
    }
  });

  it('the nudge: apples 2 → 3 makes 715 into 825, +110; an apple at 101 gives 717.2; x + 0.01 on the chain rule moves z by ≈ 6 × 0.01', () => {
    const apples = nudge(figureById('shopping'), ctx(), 'apple num', 1);
    expect(apples).toMatchObject({ input: 'apple num', output: 'price', from: 2, to: 3 });
    close(apples.before, 715);
    close(apples.after, 825);
    close(apples.gradient, 110);
    close(apples.after - apples.before, 110);
    const price = nudge(figureById('shopping'), ctx('ko'), '사과', 1);
    close(price.after, 717.2);
    close(price.gradient, 2.2);
    expect(EN.ui.nudged(apples)).toBe(
      'apple num: 2 → 3; price: 715 → 825, a change of 110. Backward said ∂price/∂apple num = 110, and 110 × 1 = 110.',
    );
    const z = nudge(figureById('chain-rule'), ctx(), 'x', 0.01);
    close(z.after, 3.01 ** 2);
    close(z.gradient, 6);
    close(z.after - z.before, 0.0601); // 6·h + h², the h² the derivative leaves out
    const mul = nudge(figureById('mul'), ctx(), 'x', 1); // ∂z/∂x, not ∂L/∂x: the seed 1.3 divided out
    close(mul.gradient, 5);
    close(mul.after - mul.before, 5);
    expect(() => nudge(figureById('relu'), ctx(), 'x', 1)).toThrow("figure 'relu' has no input 'x' to nudge");
  });

  it('relu: [[1, −0.5], [−2, 3]] → [[1, 0], [0, 3]]; the gradient passes only where x > 0', () => {
    const b = ran('relu');
    expect(values(b.output.value)).toEqual([1, 0, 0, 3]);
    expect(values(node(b, 'x').grad)).toEqual([Math.fround(0.1), 0, 0, Math.fround(0.4)]);
  });

  it('sigmoid: the ×(−1), exp, +1, / graph gives 1/(1 + e⁻¹) and dx = y(1 − y), which the Sigmoid layer computes too', () => {
    const b = ran('sigmoid');
    const y = 1 / (1 + Math.exp(-1));
    close(b.output.value as number, y);
    close(node(b, 'x').grad as number, y * (1 - y));
    close(node(b, 'add1').grad as number, -(y * y)); // the "/" node's −y²
    close(node(b, 'mul1').grad as number, -(y * y) * Math.exp(-1)); // then × exp(−x)
    const c = ctx();
    const note = runTo(figureById('sigmoid'), c, stepCount(figureById('sigmoid').build(c)) - 1).note!;
    // the Sigmoid layer (float32) on its one-node graph: the same dx to float32's precision
    const layerNode = note.graph!.nodes[0];
    close(values(layerNode.grad)[0], y * (1 - y), 1e-7);
    expect(note.text).toContain(`dx = ${node(b, 'x').grad}`);
  });

  it('affine: Y = X·W + B on a batch of 2, dX = dY·Wᵀ, dW = Xᵀ·dY, dB = Σ dY (exact: halves and small integers)', () => {
    const b = ran('affine');
    const [X, W, B, dY] = [AFFINE.X, AFFINE.W, AFFINE.B, AFFINE.dY];
    const at = (m: number[], cols: number, i: number, j: number) => m[i * cols + j];
    const Y = [0, 1].flatMap((i) => [0, 1, 2].map((j) => at(X, 2, i, 0) * at(W, 3, 0, j) + at(X, 2, i, 1) * at(W, 3, 1, j) + B[j]));
    const dX = [0, 1].flatMap((i) => [0, 1].map((k) => [0, 1, 2].reduce((s, j) => s + at(dY, 3, i, j) * at(W, 3, k, j), 0)));
    const dW = [0, 1].flatMap((k) => [0, 1, 2].map((j) => at(X, 2, 0, k) * at(dY, 3, 0, j) + at(X, 2, 1, k) * at(dY, 3, 1, j)));
    const dB = [0, 1, 2].map((j) => at(dY, 3, 0, j) + at(dY, 3, 1, j));
    expect(values(b.output.value)).toEqual(Y);
    expect(values(node(b, 'X').grad)).toEqual(dX);
    expect(values(node(b, 'W').grad)).toEqual(dW);
    expect(values(node(b, 'B').grad)).toEqual(dB);
    // the shapes on the edges, as in the book's figure
    const dot = toDot(b.graph, b.format);
    expect(dot).toContain('<font color="black">(2, 2)</font><br/><font color="red">(2, 2)</font>');
    expect(dot).toContain('<font color="black">(2, 3)</font><br/><font color="red">(2, 3)</font>');
    expect(dot).toContain('<font color="black">(3)</font><br/><font color="red">(3)</font>');
  });

  it('softmax-with-loss: from elementary nodes, the loss −log y₃ and backward y − t, as the SoftmaxWithLoss layer gives', () => {
    const b = ran('softmax-with-loss');
    const e = SOFTMAX.a.map(Math.exp);
    const sum = e.reduce((s, v) => s + v, 0);
    const y = e.map((v) => v / sum);
    close(b.output.value as number, -Math.log(y[2]));
    y.forEach((yk, k) => {
      close(node(b, `y${k + 1}`).value as number, yk);
      close(node(b, `a${k + 1}`).grad as number, yk - SOFTMAX.t[k]);
    });
    expect(b.graph.nodes.filter((n) => n.op).length).toBe(18);
    // the layer it derives, in float32
    const c = ctx();
    const note = runTo(figureById('softmax-with-loss'), c, stepCount(figureById('softmax-with-loss').build(c)) - 1).note!;
    for (const row of note.table!.rows) expect(Number(row[6])).toBeCloseTo(Number(row[5]), 4); // layer dx vs y − t as shown
    expect(note.table!.rows.map((r) => r[4])).toEqual(note.table!.rows.map((r) => r[5])); // graph = y − t as shown
  });

  it('two-layer-net: a real test "2" through a briefly trained TwoLayerNet; the graph agrees with the net’s own loss and gradient', () => {
    expect(data.digit.label).toBe(2);
    expect(data.digit.pixels).toHaveLength(784);
    expect(data.training.testAccuracy).toBeGreaterThan(0.85);
    const b = ran('two-layer-net');
    // the same weights as a TwoLayerNet: its loss and gradient, through its own layers
    const net = new TwoLayerNet(backend, 784, data.net.hidden, 10);
    for (const key of ['W1', 'b1', 'W2', 'b2'] as const) {
      net.params[key].data.set(values(node(b, key).value));
      expect(toBase64(net.params[key].toArray())).toBe(data.net[key]);
    }
    const x = backend.tensor(
      data.digit.pixels.map((p) => p / 255),
      [1, 784],
    );
    const t = backend.tensor([2], [1]);
    close(b.output.value as number, net.loss(x, t), 1e-6);
    const grads = net.gradient(x, t);
    for (const key of ['W1', 'b1', 'W2', 'b2'] as const) expect(values(node(b, key).grad)).toEqual(values(grads[key]));
    // the scores and probabilities shown after forward
    const c = ctx();
    const scores = runTo(figureById('two-layer-net'), c, 5);
    expect(scores.phase).toBe('note');
    const probs = scores.note!.table!.rows.map((r) => Number(r[2]));
    expect(probs.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 3);
    expect(probs.indexOf(Math.max(...probs))).toBe(2);
  });

  it('every step of every figure explains itself in both languages, and the step count is start + forward + notes + backward + notes', () => {
    for (const lang of ['en', 'ko'] as const) {
      const c = ctx(lang);
      for (const figure of figures) {
        const built = figure.build(c);
        const ops = built.graph.nodes.filter((n) => n.op).length;
        const steps = stepCount(built);
        expect(steps).toBe(1 + 2 * ops + (built.afterForward?.length ?? 0) + (built.afterBackward?.length ?? 0));
        const phases = [];
        for (let k = 0; k < steps; k++) {
          const s = runTo(figure, c, k);
          phases.push(s.phase);
          const text = s.node ? explainStep(s.node, s.phase as 'forward', { ...s.built.format, texts: c.t.ops }) : (s.note?.text ?? '');
          if (s.phase !== 'start') expect(text.length, `${lang} ${figure.id} step ${k}`).toBeGreaterThan(5);
          if (lang === 'ko' && s.phase === 'backward' && s.node?.type !== 'relu')
            expect(text, `${figure.id} ${k}`).not.toMatch(/the inputs swap|passes through|goes back/);
        }
        expect(phases[0]).toBe('start');
        expect(phases.filter((p) => p === 'forward')).toHaveLength(ops);
        expect(phases.filter((p) => p === 'backward')).toHaveLength(ops);
      }
    }
  });
});
