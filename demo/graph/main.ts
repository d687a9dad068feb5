/**
 * The graph tour: every figure of the seed notes (figures.ts) stepped through one local
 * computation at a time, in English or Korean (texts.ts). Each step builds the figure afresh and
 * runs it to that step (runTo), explains the node that ran, and draws the graph with Graphviz.
 * `window.graphTour` tells a test (or a curious reader) what is shown.
 */
import { createBackend } from '../../ts/index.js';
import { dotToSvg, explainStep, toDot } from '../../ts/render/index.js';
import { usableLocale } from '../web/locale.js';
import { type Context, FIGURE_IDS, type FigureId, figureById, type Nudged, nudge, runTo, type Table, type TourData } from './figures.js';
import { LANGS, type Lang, TEXTS } from './texts.js';

interface Tour {
  figures: FigureId[];
  figure: FigureId;
  lang: Lang;
  step: number;
  steps: number;
  /** True once the current step is drawn (false while Graphviz loads or draws). */
  ready: boolean;
  /** The last nudge, if any, on this figure. */
  nudged: Nudged | null;
}

const el = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const oneOf = <T extends string>(value: string | null, allowed: readonly T[], fallback: T): T =>
  allowed.includes(value as T) ? (value as T) : fallback;

const query = new URLSearchParams(location.search);
const browserLang: Lang = usableLocale(navigator.language).toLowerCase().startsWith('ko') ? 'ko' : 'en';
const tour: Tour = {
  figures: [...FIGURE_IDS],
  figure: oneOf(query.get('figure'), FIGURE_IDS, 'apple'),
  lang: oneOf(query.get('lang'), LANGS, browserLang),
  step: 0,
  steps: 1,
  ready: false,
  nudged: null,
};
(window as unknown as { graphTour: Tour }).graphTour = tour;

const backend = await createBackend('ts');
/** The two-layer-net figure's digit and weights, made when the page was built. */
let data: Promise<TourData> | null = null;
const tourData = () => {
  data ??= fetch('./two-layer-net.json').then((r) => {
    if (!r.ok) throw new Error(`two-layer-net.json: HTTP ${r.status}`);
    return r.json() as Promise<TourData>;
  });
  return data;
};
let graphvizLoaded = false;
let drawing = 0;

async function context(): Promise<Context> {
  return { backend, t: TEXTS[tour.lang], data: tour.figure === 'two-layer-net' ? await tourData() : undefined };
}

/** Updates every word and number for the current figure, step and language, then draws the graph. */
async function show(): Promise<void> {
  const token = ++drawing;
  tour.ready = false;
  const ctx = await context();
  const t = ctx.t;
  const shown = runTo(figureById(tour.figure), ctx, tour.step);
  tour.steps = shown.steps;
  tour.step = Math.min(tour.step, shown.steps - 1);
  history.replaceState(null, '', `?figure=${tour.figure}&lang=${tour.lang}`);

  document.documentElement.lang = t.htmlLang;
  document.title = `backprop-wasm · ${t.title}`;
  el('title').textContent = t.title;
  el('lead').textContent = t.lead;
  el('figure-label').textContent = t.ui.figure;
  el('language-label').textContent = t.ui.language;
  const select = el<HTMLSelectElement>('figure');
  for (const option of Array.from(select.options))
    option.textContent = `${FIGURE_IDS.indexOf(option.value as FigureId) + 1}. ${t.figures[option.value as FigureId].short}`;
  select.value = tour.figure;
  for (const lang of LANGS) el(`lang-${lang}`).setAttribute('aria-pressed', String(lang === tour.lang));
  el('back').textContent = t.ui.back;
  el('next').textContent = t.ui.next;
  el('restart').textContent = t.ui.restart;
  el<HTMLButtonElement>('back').disabled = tour.step === 0;
  el<HTMLButtonElement>('next').disabled = tour.step === shown.steps - 1;
  el('fig-title').textContent = t.figures[tour.figure].title;
  el('intro').textContent = t.figures[tour.figure].intro;

  const phase = el('phase');
  phase.textContent = shown.phase === 'start' ? '' : t.ui.phase(shown.phase, shown.count.index, shown.count.of);
  phase.className = shown.phase;
  el('explain').textContent = shown.node
    ? explainStep(shown.node, shown.phase as 'forward' | 'backward', { ...shown.built.format, texts: t.ops })
    : (shown.note?.text ?? t.ui.start);
  drawTable(shown.note?.table ?? shown.built.table?.() ?? null);

  const inputs = shown.built.nudge ?? [];
  el('nudge').hidden = inputs.length === 0;
  el('nudge-title').textContent = t.ui.nudge;
  el('nudge-help').textContent = t.ui.nudgeHelp;
  const nudgeInput = el<HTMLSelectElement>('nudge-input');
  const names = inputs.map((n) => n.name);
  if (Array.from(nudgeInput.options, (o) => o.value).join('\n') !== names.join('\n')) {
    nudgeInput.replaceChildren(...names.map((name) => new Option(name, name)));
    tour.nudged = null;
  }
  el('nudge-result').textContent = tour.nudged ? t.ui.nudged(tour.nudged) : '';

  el('digit').hidden = !ctx.data;
  if (ctx.data) drawDigit(ctx.data, t.notes.training(ctx.data));

  const graph = shown.note?.graph ?? shown.built.graph;
  const dot = toDot(graph, { ...shown.built.format, highlight: shown.node });
  el('status').textContent = graphvizLoaded ? t.ui.drawing : t.ui.loadingGraphviz;
  const svg = await dotToSvg(dot);
  graphvizLoaded = true;
  if (token !== drawing) return; // a later step is being drawn
  el('graph').innerHTML = svg;
  keepReadable(el('graph').querySelector('svg'));
  el('status').textContent = '';
  tour.ready = true;
}

/**
 * The smallest scale a figure is drawn at (its text is about 16 px at full size): on a phone the
 * widest figures would otherwise shrink to a quarter, their text to 4 px. Below it the figure
 * keeps this size and its box scrolls sideways (the page itself does not).
 */
const MIN_FIGURE_SCALE = 0.6;

function keepReadable(svg: SVGSVGElement | null): void {
  if (!svg) return;
  // Graphviz gives the width in pt; the length's value is in CSS px
  svg.style.minWidth = `${Math.round(svg.width.baseVal.value * MIN_FIGURE_SCALE)}px`;
}

function drawTable(table: Table | null): void {
  const box = el('table');
  box.replaceChildren();
  if (!table) return;
  const element = document.createElement('table');
  const row = (cells: string[], tag: 'th' | 'td') => {
    const tr = element.insertRow();
    for (const c of cells) tr.appendChild(document.createElement(tag)).textContent = c;
  };
  row(table.head, 'th');
  for (const r of table.rows) row(r, 'td');
  box.appendChild(element);
}

function drawDigit(d: TourData, caption: string): void {
  const canvas = el('digit').querySelector('canvas')!;
  const g = canvas.getContext('2d')!;
  const image = g.createImageData(28, 28);
  d.digit.pixels.forEach((p, i) => {
    image.data.set([255 - p, 255 - p, 255 - p, 255], 4 * i);
  });
  g.putImageData(image, 0, 0);
  el('training').textContent = caption;
}

/** What a move does: step, change figure or language, or nudge the chosen input. */
async function apply(move: string): Promise<void> {
  const [kind, arg] = move.split(':');
  if (kind === 'next') tour.step = Math.min(tour.steps - 1, tour.step + 1);
  else if (kind === 'back') tour.step = Math.max(0, tour.step - 1);
  else if (kind === 'restart') tour.step = 0;
  else if (kind === 'end') tour.step = tour.steps - 1;
  else if (kind === 'figure' && FIGURE_IDS.includes(arg as FigureId) && arg !== tour.figure) {
    const steps = runTo(
      figureById(arg as FigureId),
      { ...(await context()), data: arg === 'two-layer-net' ? await tourData() : undefined },
      0,
    ).steps;
    tour.figure = arg as FigureId;
    tour.step = 0;
    tour.steps = steps; // so that a Step right after counts the new figure's steps
    tour.nudged = null;
  } else if (kind === 'lang' && LANGS.includes(arg as Lang) && arg !== tour.lang) {
    tour.lang = arg as Lang;
    tour.nudged = null; // its input names are the other language's
  } else if (kind === 'nudge') {
    const name = el<HTMLSelectElement>('nudge-input').value;
    if (name) tour.nudged = nudge(figureById(tour.figure), await context(), name, Number(arg));
  }
}

function draw(): void {
  show().catch((e: unknown) => {
    el('explain').textContent = `Error: ${(e as Error).message}`;
    console.error(e);
  });
}

// The controls are wired in index.html by a script that runs as soon as they exist: the moves
// made before this module ran waited in `queued`. They are applied here in order, and later
// moves come straight to `handle`, one after the other.
const requests = (window as unknown as { tourRequests: { queued: string[]; handle: ((move: string) => void) | null } }).tourRequests;
tour.steps = runTo(figureById(tour.figure), await context(), 0).steps;
for (const move of requests.queued.splice(0)) await apply(move);
let pending = Promise.resolve();
requests.handle = (move) => {
  tour.ready = false; // until this move is drawn
  pending = pending.then(() => apply(move)).then(draw, (e: unknown) => console.error(e));
};
draw();
