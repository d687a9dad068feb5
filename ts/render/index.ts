/**
 * backprop-wasm/render: computational graphs drawn like the book's figures — DOT text, SVG laid
 * out by Graphviz (the optional peer dependency @viz-js/viz), and one-line explanations of each
 * node's local computation. Separate from the core so the core stays dependency-free.
 *
 * @module backprop-wasm/render
 */
export { toDot } from './dot.js';
export type { DotOptions } from './dot.js';
export { toSvg, dotToSvg } from './svg.js';
export { explainStep } from './explain.js';
export type { ExplainOptions, OpTexts } from './explain.js';
export type { OpText, StepText } from '../graph/op_info.js';
export { formatNumber, formatValue } from './format.js';
export type { FormatOptions } from './format.js';
