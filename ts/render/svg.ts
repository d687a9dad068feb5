import { describeValue } from '../core/checks.js';
import type { Graph } from '../graph/graph.js';
import { checkGraph, toDot, type DotOptions } from './dot.js';

type Viz = Awaited<ReturnType<typeof import('@viz-js/viz')['instance']>>;
let viz: Promise<Viz> | null = null;

/**
 * Graphviz (compiled to WebAssembly by @viz-js/viz) lays the graph out. It is an optional peer
 * dependency, loaded on first use, so that `toDot` and the core library need nothing installed.
 */
function loadViz(): Promise<Viz> {
  viz ??= import('@viz-js/viz').then(
    (m) => m.instance(),
    (e: unknown) => {
      viz = null;
      throw new Error(`toSvg needs the optional peer dependency @viz-js/viz (npm install @viz-js/viz): ${(e as Error).message}`, {
        cause: e,
      });
    },
  );
  return viz;
}

/**
 * DOT text → SVG text, laid out by Graphviz `dot`. Throws with Graphviz's message on bad DOT.
 *
 * Graphviz's WebAssembly has trapped now and then in WebKit ("Out of bounds memory access") on
 * graphs it lays out fine elsewhere. A trapped instance's memory cannot be trusted, so the render
 * runs once more on a new instance (the remedy viz-js's maintainer gives for failed renders);
 * a second trap is thrown.
 */
export async function dotToSvg(dot: string): Promise<string> {
  if (typeof dot !== 'string') throw new Error(`dotToSvg: expected DOT text (a string), got ${describeValue(dot)}`);
  const render = async () => (await loadViz()).renderString(dot, { format: 'svg', engine: 'dot' });
  try {
    return await render();
  } catch (e) {
    if (!(e instanceof WebAssembly.RuntimeError)) throw e;
    viz = null;
    return render();
  }
}

/** The graph as an SVG image: `toDot` laid out by Graphviz. */
export async function toSvg(graph: Graph, options: DotOptions = {}): Promise<string> {
  checkGraph('toSvg', graph);
  return dotToSvg(toDot(graph, options));
}
