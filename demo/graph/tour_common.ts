/**
 * What the figures (figures.ts) and their texts (texts.ts) both name: the figure ids in the
 * notes' order, the embedded data of the two-layer-net figure, a nudge's result and the number
 * format of the tables. A module of its own, so that neither of the two imports the other back.
 */

export const FIGURE_IDS = [
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
] as const;
export type FigureId = (typeof FIGURE_IDS)[number];

/** What the page build embeds for the two-layer-net figure (scripts/build-graph-page.ts writes it; tour_data.ts makes it). */
export interface TourData {
  /** One test digit: its index in the embedded test split, its label and 784 pixels 0–255. */
  digit: { index: number; label: number; pixels: number[] };
  /** The TwoLayerNet's size and weights (float32, base64, little-endian). */
  net: { hidden: number; W1: string; b1: string; W2: string; b2: string };
  /** How the weights came about, said on the page. */
  training: { seed: number; steps: number; batch: number; lr: number; trainCount: number; testCount: number; testAccuracy: number };
}

export interface Nudged {
  input: string;
  output: string;
  from: number;
  to: number;
  before: number;
  after: number;
  /** ∂output/∂input from backward (the edge's gradient over the seed dout). */
  gradient: number;
}

/** A number for a table: 4 significant digits, tiny ones in exponent form. */
export function cell(v: number | string): string {
  if (typeof v === 'string') return v;
  if (v === 0 || Number.isInteger(v)) return String(v);
  return Math.abs(v) < 1e-3 ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}
