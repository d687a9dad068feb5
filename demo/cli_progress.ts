/**
 * The CLI's one-line progress display, fitted to the terminal's width so it never wraps (a
 * wrapped `\r` line prints a new line on every update).
 */
const BAR_MAX = 28;
const BAR_MIN = 8;

export interface Progress {
  epoch: number;
  epochs: number;
  /** Steps done in this epoch, and the epoch's total. */
  done: number;
  total: number;
  loss: number;
  stepsPerSecond: number;
}

/** The line for `columns` terminal columns (undefined: not a terminal, use 80), without the trailing `\r`. */
export function progressLine(p: Progress, columns = 80): string {
  const head = `epoch ${p.epoch}/${p.epochs} `;
  const tail = ` loss ${p.loss.toFixed(4)}  ${p.stepsPerSecond.toFixed(0)} steps/s`;
  // One column stays free: writing the last column makes some terminals wrap early.
  const room = columns - 1 - head.length - tail.length - 2;
  if (room < BAR_MIN) return `${head.trim()}${tail}`.slice(0, Math.max(0, columns - 1));
  const width = Math.min(BAR_MAX, room);
  const filled = Math.round((p.done / p.total) * width);
  return `${head}[${'█'.repeat(filled)}${'·'.repeat(width - filled)}]${tail}`;
}

/**
 * " on 1 of 2 threads for 80 % of the steps, …" when the threaded backend ran most of an epoch's
 * steps on its calling thread alone, else nothing. Its governor runs so where the other threads
 * measured no faster: mostly busy cores, but also a short first epoch, while the first calls still
 * warm up (the note says what was measured, not why). Counted over the steps, not read once at the epoch's end: the
 * evaluation just before that moment runs calls of new sizes, which the governor tries both ways.
 */
export function governed(threads: number, soloSteps: number, steps: number): string {
  if (threads === 1 || soloSteps * 2 <= steps) return '';
  return ` on 1 of ${threads} threads for ${Math.round((100 * soloSteps) / steps)} % of the steps, where the others measured no faster`;
}
