/**
 * What an end-to-end scenario needs of a browser, whatever the engine: open a page at a size,
 * evaluate an expression in it, click, draw a pointer stroke, take a screenshot, read the
 * page's errors. One thin driver per engine implements it (test/e2e/drivers/); the scenarios
 * (test/e2e/*.e2e.test.ts) are written once against this interface.
 */
export type EngineName = 'chromium' | 'firefox' | 'webkit';

export interface Viewport {
  width: number;
  height: number;
}

export interface Tab {
  /**
   * The JSON value of a JavaScript expression evaluated in the page (a promise is awaited). An
   * exception in the page rejects with its message.
   */
  eval<T = unknown>(expression: string): Promise<T>;
  /** A click with the engine's own pointer at the centre of the first element `selector` matches. */
  click(selector: string): Promise<void>;
  /** The engine's pointer pressed at the first point, moved through the others and released (CSS px of the viewport). */
  stroke(points: readonly (readonly [number, number])[]): Promise<void>;
  /** A PNG of the whole page where the engine can take one, else of the viewport. */
  screenshot(path: string): Promise<void>;
  /** Uncaught exceptions, unhandled rejections and console errors the page has had so far. */
  errors(): Promise<string[]>;
  close(): Promise<void>;
}

export interface Browser {
  readonly engine: EngineName;
  /** What the engine says it is, e.g. "Chromium 156.0.8078.129" (the README names what was tested). */
  readonly version: string;
  open(url: string, viewport: Viewport): Promise<Tab>;
  close(): Promise<void>;
}

/**
 * The expression `body` wrapped so that every driver gets a JSON string back: engines return
 * values through their own protocols, and JSON is the one form they all carry unchanged.
 */
export const asJson = (expression: string) => `(async () => JSON.stringify(await (${expression})) ?? 'null')()`;

/**
 * Polls `expression` until it is truthy. It fails at once when the page has recorded an error
 * that stopped it (`window.pageErrors`, kept by the MNIST page), and on timeout; either way
 * the error names `what` and what the page shows.
 */
export async function waitFor(tab: Tab, expression: string, what: string, timeout = 60_000): Promise<void> {
  const end = Date.now() + timeout;
  for (;;) {
    const { done, failed } = await tab.eval<{ done: boolean; failed: number }>(
      `({ done: !!(${expression}), failed: window.pageErrors?.length ?? 0 })`,
    );
    if (done) return;
    if (failed > 0 || Date.now() > end) {
      const shown = await tab
        .eval<string>(
          `[document.getElementById('status')?.textContent, document.getElementById('error')?.textContent].filter(Boolean).join(' | ')`,
        )
        .catch((e) => String(e));
      const why = failed > 0 ? 'the page failed' : `waited ${timeout / 1000} s`;
      throw new Error(
        `${why} for ${what} (${expression}); the page shows: ${shown || '(nothing)'}; errors: ${JSON.stringify(await tab.errors().catch(() => []))}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs `body` on a new tab, then checks the page had no errors; the tab is closed either way. */
export async function withTab(browser: Browser, url: string, viewport: Viewport, body: (tab: Tab) => Promise<void>): Promise<void> {
  const tab = await browser.open(url, viewport);
  try {
    await body(tab);
    const errors = await tab.errors();
    if (errors.length > 0) throw new Error(`${url}: the page had errors: ${JSON.stringify(errors)}`);
  } finally {
    await tab.close().catch(() => {});
  }
}

/** The text of the first element `selector` matches ('' when none). */
export const text = (tab: Tab, selector: string) =>
  tab.eval<string>(`document.querySelector(${JSON.stringify(selector)})?.textContent ?? ''`);

/**
 * Sets a form control's value as a user's choice would (an `input` and a `change` event): the
 * engines differ in how their drivers type and pick options, the page only sees the events.
 */
export const setValue = (tab: Tab, selector: string, value: string) =>
  tab.eval(`(() => { const e = document.querySelector(${JSON.stringify(selector)}); e.value = ${JSON.stringify(value)};
    for (const t of ['input', 'change']) e.dispatchEvent(new Event(t, { bubbles: true })); })()`);

/**
 * A stroke through `points` given as fractions of the element's box ([0.5, 0.1] is the middle
 * of its top): the element is scrolled into view first, then the driver's pointer draws it.
 */
export async function strokeOn(tab: Tab, selector: string, points: readonly (readonly [number, number])[]): Promise<void> {
  const box = await tab.eval<{ x: number; y: number; width: number; height: number }>(
    `(() => { const e = document.querySelector(${JSON.stringify(selector)}); e.scrollIntoView({ block: 'center' }); const r = e.getBoundingClientRect(); return { x: r.x, y: r.y, width: r.width, height: r.height }; })()`,
  );
  await tab.stroke(points.map(([fx, fy]) => [Math.round(box.x + box.width * fx), Math.round(box.y + box.height * fy)] as const));
}

/** The pointer of playwright and of puppeteer alike: both drivers draw a stroke through it. */
interface Mouse {
  move(x: number, y: number): Promise<unknown>;
  down(): Promise<unknown>;
  up(): Promise<unknown>;
}

/** Presses `mouse` at the first point, moves it through the others, releases it. */
export async function mouseStroke(mouse: Mouse, points: readonly (readonly [number, number])[]): Promise<void> {
  const [[x0, y0], ...rest] = points;
  await mouse.move(x0, y0);
  await mouse.down();
  for (const [x, y] of rest) await mouse.move(x, y);
  await mouse.up();
}
