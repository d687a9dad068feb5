/**
 * Whether a threaded backend's workers help right now, decided from the time its kernel calls
 * take: it runs on all its threads or on the calling thread alone, whichever measured faster.
 *
 * Why: the pool's workers spin between kernels (a futex wake-up per kernel costs tens of µs) and
 * the calling thread waits for the parts they claimed. When another process keeps a core busy, a
 * worker shares a core with it or with the caller: its spinning takes the caller's time, and a
 * part it claimed waits for the OS to run it again (milliseconds). Two threads then ran the
 * 784→50→10 step at 0.54× the speed of one (bench/threads.ts --busy, 2026-12-06). No count of
 * threads is right on every machine at every moment, so the backend measures.
 *
 * How: calls are grouped by what they compute (the kernel and its sizes, a hashed key), so the
 * two ways are compared on the same work; each call's time includes the short gap before it (the
 * JavaScript between the kernels of a step, which a spinning worker slows down too). The governor runs one way for a window of
 * {@link WINDOW_MS} of kernel time, then prices the window's calls both ways, from this window's
 * means and from the means the other way measured when it last ran, and switches if the other
 * way is cheaper by more than {@link MARGIN}. A kind of call's first window is warm-up (compiling,
 * first-touched memory) and prices nothing. Now and then it runs a window the other way anyway
 * (the machine's load changes); each such look that loses doubles the wait before the next,
 * up to {@link LOOK_MAX} windows, so a look costs at most a few per cent. With one way idle the
 * workers sleep after their spin (crate/src/parallel.rs), so the caller has its core back.
 * Results never depend on it: every split computes bitwise the same outputs on any number of
 * threads.
 */

/** Kernel time per decision window, in ms: several steps of a small MLP, a few of a CNN. */
export const WINDOW_MS = 40;
/** A gap between calls shorter than this (ms) is the step's own JavaScript and counts with the call after it. */
export const GAP_MS = 1;
/**
 * How much cheaper (as a fraction) the other way must price a window to switch to it: right after
 * a look, when both prices are fresh, and otherwise, when the other way's are as old as the last
 * time it ran (a load that changed shows as a jump, not as a few per cent).
 */
export const MARGIN = 0.03;
export const STALE_MARGIN = 0.1;
/** Windows between looks at the other way: the first wait, and the most after losing looks. */
export const LOOK_MIN = 4;
export const LOOK_MAX = 128;

/** The two ways to run: index 0 the calling thread alone, 1 all the pool's threads. */
type Way = 0 | 1;

/** What one kind of call cost each way. */
interface CallStats {
  /** Mean ms per call each way, over the last window that ran that way (NaN: not yet measured). */
  mean: [number, number];
  /** This window's calls and their total ms. */
  calls: number;
  ms: number;
  /** Whether a window has ended with calls of this kind: the first one's are warm-up, not a price. */
  warm: boolean;
}

/** What the governor decided, for tests, the bench and the page. */
export interface GovernorState {
  /** Threads the kernels run on now: 1 or the pool's. */
  threadsInUse: number;
  /** Windows decided so far, and how many ran on one thread. */
  windows: number;
  soloWindows: number;
  /** Windows run as looks at the way that was not in use. */
  looks: number;
}

export class ThreadGovernor {
  #way: Way = 1;
  readonly #stats = new Map<number, CallStats>();
  /** The kinds of call seen in this window (their counts are reset at its end). */
  readonly #seen: CallStats[] = [];
  #windowMs = 0;
  #start = 0;
  #lastEnd = Number.NEGATIVE_INFINITY;
  /** Whether this window is a look at the way not in use, and the wait before the next look. */
  #looking = false;
  #sinceLook = 0;
  #lookEvery = LOOK_MIN;
  #windows = 0;
  #soloWindows = 0;
  #looks = 0;

  /**
   * @param threads the pool's threads (the caller included)
   * @param use runs the kernels on that many threads from the next call on
   * @param now a clock in ms (tests give a fake one)
   */
  constructor(
    readonly threads: number,
    private readonly use: (threads: number) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Threads the kernels run on now (what `state` says, without building it). */
  get threadsInUse(): number {
    return this.#way === 1 ? this.threads : 1;
  }

  get state(): GovernorState {
    return { threadsInUse: this.threadsInUse, windows: this.#windows, soloWindows: this.#soloWindows, looks: this.#looks };
  }

  /** Before a kernel call. */
  begin(): void {
    const now = this.now();
    // The JavaScript between two calls of a step runs slower too while a worker spins on its core:
    // a short gap counts with the call after it. A long one is not training (the page's idle
    // time, a benchmark's other contender) and is left out.
    this.#start = now - this.#lastEnd < GAP_MS ? this.#lastEnd : now;
  }

  /** After the call that {@link begin} timed; `key` names what it computed (kernel and sizes). */
  end(key: number): void {
    this.#lastEnd = this.now();
    const ms = this.#lastEnd - this.#start;
    let stats = this.#stats.get(key);
    if (stats === undefined) {
      stats = { mean: [Number.NaN, Number.NaN], calls: 0, ms: 0, warm: false };
      this.#stats.set(key, stats);
    }
    if (stats.calls === 0) this.#seen.push(stats);
    stats.calls++;
    stats.ms += ms;
    this.#windowMs += ms;
    if (this.#windowMs >= WINDOW_MS) this.#decide();
  }

  /** The window is over: record its means, price it both ways, and pick the way of the next. */
  #decide(): void {
    const here = this.#way;
    const other: Way = here === 1 ? 0 : 1;
    let costHere = 0;
    let costOther = 0;
    let compared = 0;
    let coldMs = 0;
    for (const s of this.#seen) {
      if (!s.warm) {
        // A kind's first calls pay for compiling and first-touching memory: priced as they are,
        // they made the way that ran first look dear, and a quiet machine's first epoch ran on
        // one thread until the next look.
        s.warm = true;
        coldMs += s.ms;
        s.calls = 0;
        s.ms = 0;
        continue;
      }
      s.mean[here] = s.ms / s.calls;
      if (!Number.isNaN(s.mean[other])) {
        costHere += s.ms;
        costOther += s.calls * s.mean[other];
        compared += s.ms;
      }
      s.calls = 0;
      s.ms = 0;
    }
    this.#seen.length = 0;
    const windowMs = this.#windowMs;
    this.#windowMs = 0;
    this.#windows++;
    if (here === 0) this.#soloWindows++;

    // Mostly warm-up: go on this way and price the next window.
    if (coldMs > windowMs / 2) return;
    // Most of this window's work never ran the other way (a new net, new sizes): look now.
    const known = compared >= windowMs / 2;
    const cheaper = (margin: number) => known && costOther < costHere * (1 - margin);
    if (this.#looking) {
      // A look just ended: the way it tried stays if it was not dearer, else back, looking later.
      this.#looking = false;
      this.#sinceLook = 0;
      if (cheaper(MARGIN)) {
        this.#lookEvery = Math.min(LOOK_MAX, this.#lookEvery * 2);
        this.#switch(other);
      } else this.#lookEvery = LOOK_MIN;
      return;
    }
    if (cheaper(STALE_MARGIN)) {
      // The load changed: it may change back soon (a build that ends), so look again early.
      this.#switch(other);
      this.#sinceLook = 0;
      this.#lookEvery = LOOK_MIN;
    } else if (!known || ++this.#sinceLook >= this.#lookEvery) {
      this.#looking = true;
      this.#looks++;
      this.#sinceLook = 0;
      this.#switch(other);
    }
  }

  #switch(way: Way): void {
    this.#way = way;
    this.use(way === 1 ? this.threads : 1);
  }
}

/**
 * A number naming what a call computes: the kernel and its sizes (the numbers it is given and
 * the lengths of its tensors), not where its tensors are. FNV-1a over them; a collision only
 * mixes two kinds of call in one mean.
 */
export function callKey(kernel: number, args: readonly unknown[]): number {
  let h = Math.imul(0x811c9dc5 ^ kernel, 0x01000193);
  for (const a of args) {
    const v =
      typeof a === 'number' ? a * 4096 : typeof a === 'boolean' ? +a : a === null ? -1 : (a as { storage: { size: number } }).storage.size;
    h = Math.imul(h ^ (v | 0), 0x01000193);
  }
  return h;
}
