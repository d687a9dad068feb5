/**
 * The figures of the seed notes (chapter 5), in their order, as data plus one builder each: the
 * builder records a graph in the page's language (its input names come from the texts table), and
 * the step runner below walks it — nothing computed, forward node by node, any notes after the
 * forward pass, backward node by node, any notes after it. The page (main.ts) draws what
 * `runTo` returns; test/graph/tour.test.ts checks the numbers of every figure.
 */
import {
  type Backend,
  Graph,
  type GraphNode,
  graphFromNet,
  Sigmoid,
  SoftmaxWithLoss,
  shoppingGraph,
  type Tensor,
  TwoLayerNet,
  type Value,
} from '../../ts/index.js';
import type { FormatOptions } from '../../ts/render/index.js';
import type { Texts } from './texts.js';
import { cell, FIGURE_IDS, type FigureId, type Nudged, type TourData } from './tour_common.js';

export { cell, FIGURE_IDS, type FigureId, type Nudged, type TourData } from './tour_common.js';

export interface Context {
  backend: Backend;
  t: Texts;
  /** Needed by two-layer-net only. */
  data?: TourData;
}

/** A table under the graph: a header and rows of formatted cells. */
export interface Table {
  head: string[];
  rows: string[][];
}

/** A step that is not one node's local computation: a conclusion with its numbers, maybe a table or another graph to draw. */
export interface Note {
  text: string;
  table?: Table;
  /** Drawn instead of the figure's graph (already run). */
  graph?: Graph;
}

export interface Built {
  graph: Graph;
  /** Where backward starts, seeded with `dout` (default 1). */
  output: GraphNode;
  dout?: Value;
  /** The scalar inputs a nudge may change. */
  nudge?: GraphNode[];
  /** How edges format values (affine shows shapes). */
  format?: FormatOptions;
  /** A table of the figure's numbers, shown at every step (read after the step ran). */
  table?: () => Table | null;
  /** Notes after the forward pass and after the backward pass, made from the values then. */
  afterForward?: (() => Note)[];
  afterBackward?: (() => Note)[];
}

export interface Figure {
  id: FigureId;
  build(ctx: Context): Built;
}

// ---- the figures -----------------------------------------------------------------------------

const FIGURES: Record<FigureId, (ctx: Context) => Built> = {
  /** 100 × 2 × 1.1 = 220 (the notes' first graphs). */
  apple: ({ t }) => {
    const graph = new Graph();
    const apple = graph.input(t.names.apple, 100);
    const appleNum = graph.input(t.names.appleNum, 2);
    const tax = graph.input(t.names.tax, 1.1);
    const output = graph.mul(graph.mul(apple, appleNum), tax, t.names.price);
    return { graph, output, nudge: [apple, appleNum, tax] };
  },

  /** z = t², t = x + y: the chain rule through a "**2" node. */
  'chain-rule': () => {
    const graph = new Graph();
    const x = graph.input('x', 1);
    const y = graph.input('y', 2);
    const output = graph.square(graph.add(x, y, 't'), 'z');
    return { graph, output, nudge: [x, y] };
  },

  /** 10 + 5 = 15; ∂L/∂z = 1.3 arrives from upstream and passes unchanged. */
  add: () => {
    const graph = new Graph();
    const x = graph.input('x', 10);
    const y = graph.input('y', 5);
    return { graph, output: graph.add(x, y, 'z'), dout: 1.3, nudge: [x, y] };
  },

  /** 10 × 5 = 50; the upstream 1.3 comes back times the other input. */
  mul: () => {
    const graph = new Graph();
    const x = graph.input('x', 10);
    const y = graph.input('y', 5);
    return { graph, output: graph.mul(x, y, 'z'), dout: 1.3, nudge: [x, y] };
  },

  /** The shopping example: 715; gradients 2.2, 110, 3.3, 165, 650. */
  shopping: ({ t }) => {
    const s = shoppingGraph(t.names);
    return { graph: s.graph, output: s.price, nudge: [s.apple, s.appleNum, s.orange, s.orangeNum, s.tax] };
  },

  /** The book's ReLU example x = [[1, −0.5], [−2, 3]], with an upstream gradient. */
  relu: ({ backend, t }) => {
    const graph = new Graph();
    const x = graph.input('x', backend.tensor([1, -0.5, -2, 3], [2, 2]));
    const output = graph.relu(x, 'ReLU');
    return {
      graph,
      output,
      dout: backend.tensor([0.1, 0.2, 0.3, 0.4], [2, 2]),
      table: () => tensorTable(t, [x, output]),
    };
  },

  /** y = 1 / (1 + exp(−x)) as ×(−1), exp, +1 and /; then the simplification to y(1 − y). */
  sigmoid: ({ backend, t }) => {
    const graph = new Graph();
    const x = graph.input('x', 1);
    const minus = graph.mul(x, graph.input('−1', -1));
    const output = graph.reciprocal(graph.add(graph.exp(minus), graph.input('1', 1)), 'y');
    const simplified = () => {
      const dx = x.grad as number;
      const y = output.value as number;
      const layer = sigmoidLayer(backend, x.value as number);
      return { text: t.notes.sigmoid({ dx, y, formula: y * (1 - y), layerY: layer.y, layerDx: layer.dx }), graph: layer.graph };
    };
    return { graph, output, nudge: [x], afterBackward: [simplified] };
  },

  /** Y = X·W + B on a batch of 2, with the shapes on the edges. */
  affine: ({ backend, t }) => {
    const graph = new Graph();
    const X = graph.input('X', backend.tensor(AFFINE.X, [2, 2]));
    const W = graph.input('W', backend.tensor(AFFINE.W, [2, 3]));
    const B = graph.input('B', backend.tensor(AFFINE.B, [3]));
    const output = graph.affine(X, W, B, 'Affine');
    return {
      graph,
      output,
      dout: backend.tensor(AFFINE.dY, [2, 3]),
      format: { shapes: true },
      table: () => tensorTable(t, [X, W, B, output]),
    };
  },

  /** Softmax and the cross-entropy error from exp, +, /, ×, log nodes; backward reaches y − t. */
  'softmax-with-loss': ({ backend, t }) => {
    const graph = new Graph();
    const a = SOFTMAX.a.map((v, k) => graph.input(`a${k + 1}`, v));
    const exps = a.map((ak, k) => graph.exp(ak, `exp(a${k + 1})`));
    const sum = graph.add(graph.add(exps[0], exps[1]), exps[2], 'S');
    const inv = graph.reciprocal(sum, '1/S');
    const y = exps.map((e, k) => graph.mul(e, inv, `y${k + 1}`));
    const terms = y.map((yk, k) => graph.mul(graph.input(`t${k + 1}`, SOFTMAX.t[k]), graph.log(yk, `log y${k + 1}`)));
    const output = graph.mul(graph.add(graph.add(terms[0], terms[1]), terms[2]), graph.input('−1', -1), 'L');
    const compared = () => {
      const layer = softmaxLayer(backend, SOFTMAX.a, SOFTMAX.t);
      const rows = a.map((ak, k) => {
        const yk = y[k].value as number;
        return [ak.name, ak.value, yk, SOFTMAX.t[k], ak.grad, yk - SOFTMAX.t[k], layer.dx[k]].map((v) => cell(v as number | string));
      });
      return {
        text: t.notes.softmax({ loss: output.value as number, layerLoss: layer.loss }),
        table: { head: t.notes.softmaxHead, rows },
      };
    };
    return { graph, output, nudge: a, afterBackward: [compared] };
  },

  /** A real "2" through TwoLayerNet: scores and probabilities, then backward. */
  'two-layer-net': ({ backend, t, data }) => {
    if (!data) throw new Error('two-layer-net: the page build embeds the digit and the weights; none were given');
    const net = new TwoLayerNet(backend, 784, data.net.hidden, 10);
    for (const key of ['W1', 'b1', 'W2', 'b2'] as const) net.params[key].data.set(fromBase64(data.net[key]));
    const x = backend.tensor(
      data.digit.pixels.map((p) => p / 255),
      [1, 784],
    );
    const { graph, loss, params } = graphFromNet(net, x, backend.tensor([data.digit.label], [1]));
    const scoresNode = graph.nodes.find((n) => n.name === 'Affine2')!;
    const scores = () => {
      const s = Array.from((scoresNode.value as Tensor).data);
      const p = softmax(s);
      const best = p.indexOf(Math.max(...p));
      return {
        text: t.notes.scores({ predicted: best, probability: p[best], label: data.digit.label, loss: loss.value as number }),
        table: { head: t.notes.scoresHead, rows: s.map((v, k) => [String(k), cell(v), cell(p[k])]) },
      };
    };
    const grads = () => ({
      text: t.notes.netGrads(
        Object.entries(params).map(([key, node]) => ({ key, shape: (node.value as Tensor).shape, norm: norm(node.grad as Tensor) })),
      ),
    });
    return { graph, output: loss, afterForward: [scores], afterBackward: [grads] };
  },
};

export const figures: readonly Figure[] = FIGURE_IDS.map((id) => ({ id, build: FIGURES[id] }));
export const figureById = (id: FigureId): Figure => figures.find((f) => f.id === id)!;

/** The affine figure's numbers: halves and small integers, so float32 computes them exactly. */
export const AFFINE = {
  X: [1, 2, -1, 0.5],
  W: [0.5, -1, 2, 1, 0.25, -0.5],
  B: [1, -2, 0.5],
  dY: [1, 0, -1, 0.5, 2, 1],
};

/** The softmax-with-loss figure's scores (the book's softmax example, §3.5.1) and one-hot target. */
export const SOFTMAX = { a: [0.3, 2.9, 4.0], t: [0, 0, 1] };

// ---- stepping --------------------------------------------------------------------------------

export type Phase = 'start' | 'forward' | 'note' | 'backward';

export interface Shown {
  built: Built;
  phase: Phase;
  /** The node whose local computation the step ran (forward or backward). */
  node: GraphNode | null;
  note: Note | null;
  /** Which forward or backward step this is (1-based) and how many there are. */
  count: { index: number; of: number };
  steps: number;
}

/** Steps of a built figure: the start, one per node forward, the notes after forward, one per node backward, the notes after backward. */
export function stepCount(built: Built): number {
  const ops = built.graph.nodes.filter((n) => n.op).length;
  return 1 + 2 * ops + (built.afterForward?.length ?? 0) + (built.afterBackward?.length ?? 0);
}

/** A fresh build of `figure` run up to step `k` (0 = nothing computed): cheap, and it makes Back exact. */
export function runTo(figure: Figure, ctx: Context, k: number): Shown {
  const built = figure.build(ctx);
  const { graph, output } = built;
  const ops = graph.nodes.filter((n) => n.op).length;
  const notesF = built.afterForward ?? [];
  const notesB = built.afterBackward ?? [];
  const steps = stepCount(built);
  const step = Math.max(0, Math.min(steps - 1, k));
  const shown = (phase: Phase, node: GraphNode | null, note: Note | null, index: number, of: number): Shown => ({
    built,
    phase,
    node,
    note,
    count: { index, of },
    steps,
  });
  if (step === 0) return shown('start', null, null, 0, ops);
  const forward = graph.forwardSteps();
  let node: GraphNode | null = null;
  for (let i = 0; i < Math.min(step, ops); i++) node = forward.next().value ?? null;
  if (step <= ops) return shown('forward', node, null, step, ops);
  forward.next(); // finishes the forward pass, so backward may start
  let rest = step - ops;
  if (rest <= notesF.length) return shown('note', null, notesF[rest - 1](), rest, notesF.length);
  rest -= notesF.length;
  const backward = graph.backwardSteps(output, built.dout);
  for (let i = 0; i < Math.min(rest, ops); i++) node = backward.next().value ?? null;
  if (rest <= ops) return shown('backward', node, null, rest, ops);
  backward.next();
  rest -= ops;
  return shown('note', null, notesB[rest - 1](), rest, notesB.length);
}

/**
 * The notes' central point, live: input `name` changed by `delta`, the output before and after,
 * and the gradient backward gave, whose product with `delta` the change should be close to.
 */
export function nudge(figure: Figure, ctx: Context, name: string, delta: number): Nudged {
  const run = figure.build(ctx);
  const input = run.nudge?.find((n) => n.name === name);
  if (!input) throw new Error(`nudge: figure '${figure.id}' has no input '${name}' to nudge`);
  run.graph.forward();
  run.graph.backward(run.output, run.dout);
  const from = input.value as number;
  const moved = figure.build(ctx);
  const same = moved.graph.nodes[input.id];
  moved.graph.set(same, from + delta);
  moved.graph.forward();
  return {
    input: name,
    output: run.output.name,
    from,
    to: from + delta,
    before: run.output.value as number,
    after: moved.output.value as number,
    gradient: (input.grad as number) / ((run.dout as number | undefined) ?? 1),
  };
}

// ---- helpers ---------------------------------------------------------------------------------

/** The Sigmoid layer on the single number x: its y and its dx for dout = 1, and its one-node graph, run. */
function sigmoidLayer(backend: Backend, x: number): { y: number; dx: number; graph: Graph } {
  const layer = new Sigmoid();
  const y = layer.forward(backend.tensor([x], [1])).data[0];
  const dx = layer.backward(backend.tensor([1], [1])).data[0];
  const graph = new Graph();
  const out = graph.sigmoid(graph.input('x', backend.tensor([x], [1])), 'sigmoid');
  graph.forward();
  graph.backward(out, backend.tensor([1], [1]));
  return { y, dx, graph };
}

/** The SoftmaxWithLoss layer on one row of scores: its loss and dx = y − t (float32). */
function softmaxLayer(backend: Backend, a: number[], t: number[]): { loss: number; dx: number[] } {
  const layer = new SoftmaxWithLoss();
  const loss = layer.forward(backend.tensor(a, [1, a.length]), backend.tensor(t, [1, t.length]));
  return { loss, dx: Array.from(layer.backward().data) };
}

function softmax(s: number[]): number[] {
  const max = Math.max(...s);
  const e = s.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

function norm(t: Tensor): number {
  let sum = 0;
  for (const v of t.data) sum += v * v;
  return Math.sqrt(sum);
}

/** Each tensor node's value and gradient, row by row. */
function tensorTable(t: Texts, nodes: GraphNode[]): Table | null {
  const rows = nodes.flatMap((n) => {
    const value = n.value as Tensor | undefined;
    if (!value) return [];
    return [[n.name, matrix(value), matrix(n.grad as Tensor | undefined)]];
  });
  return rows.length ? { head: t.notes.tensorHead, rows } : null;
}

/** A small tensor as rows "[1, 2] [3, 4]" (a vector as one row). */
function matrix(v: Tensor | undefined): string {
  if (!v) return '';
  const cols = v.shape.at(-1)!;
  const data = Array.from(v.data, (x) => cell(x));
  const rows: string[] = [];
  for (let i = 0; i < data.length; i += cols) rows.push(`[${data.slice(i, i + cols).join(', ')}]`);
  return rows.join(' ');
}

function fromBase64(s: string): Float32Array {
  const bytes = Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  return new Float32Array(bytes.buffer);
}

/** Float32 numbers as base64 (what TourData holds). */
export function toBase64(values: Float32Array): string {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}
