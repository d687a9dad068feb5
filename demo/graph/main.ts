/**
 * The shopping example (§5.4) stepped through one node at a time: forward through
 * `graph.forwardSteps()`, then backward through `graph.backwardSteps(price)`, drawn after every
 * step with the node that just ran highlighted and its local computation spelled out.
 */
import { shoppingGraph, type GraphNode } from '../../ts/index.js';
import { dotToSvg, explainStep, toDot } from '../../ts/render/index.js';

const el = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const OPS = shoppingGraph().graph.nodes.filter((n) => n.op).length;
const LAST = 2 * OPS; // step 0: nothing computed; 1..OPS: forward; OPS+1..2·OPS: backward
let step = 0;

/** A fresh graph run up to `k` steps (cheap, and it makes Back exact). */
function runTo(k: number): { graph: ReturnType<typeof shoppingGraph>['graph']; node: GraphNode | null; phase: 'forward' | 'backward' } {
  const { graph, price } = shoppingGraph();
  let node: GraphNode | null = null;
  const forward = graph.forwardSteps();
  for (let i = 0; i < Math.min(k, OPS); i++) node = forward.next().value ?? null;
  if (k <= OPS) return { graph, node, phase: 'forward' };
  forward.next(); // finishes the forward pass, so backward may start
  const backward = graph.backwardSteps(price);
  for (let i = OPS; i < k; i++) node = backward.next().value ?? null;
  return { graph, node, phase: 'backward' };
}

async function show(): Promise<void> {
  const { graph, node, phase } = runTo(step);
  el('graph').innerHTML = await dotToSvg(toDot(graph, { highlight: node }));
  el('explain').textContent = node
    ? explainStep(node, phase)
    : 'Nothing computed yet: only the inputs have values. Step ▶ runs the first multiply node.';
  const label = el('phase');
  label.textContent = step === 0 ? '' : phase === 'forward' ? `forward ${step}/${OPS}` : `backward ${step - OPS}/${OPS}`;
  label.className = phase;
  el<HTMLButtonElement>('back').disabled = step === 0;
  el<HTMLButtonElement>('next').disabled = step === LAST;
}

type Move = 'next' | 'back' | 'restart';
/** The step a move leads to from the current one, within 0..LAST. */
const target = (move: Move) => Math.max(0, Math.min(LAST, move === 'next' ? step + 1 : move === 'back' ? step - 1 : 0));

function draw(): void {
  show().catch((e: unknown) => (el('explain').textContent = `Error: ${(e as Error).message}`));
}

// The buttons and keys are wired in index.html, by a script that runs as soon as they exist:
// the moves made before this module ran (it is fetched after the page, Graphviz after it) waited
// in `queued`. They are applied here at once, and later moves come straight to `handle`.
const requests = (window as unknown as { stepRequests: { queued: Move[]; handle: ((move: Move) => void) | null } }).stepRequests;
for (const move of requests.queued.splice(0)) step = target(move);
requests.handle = (move) => {
  step = target(move);
  draw();
};
draw();
