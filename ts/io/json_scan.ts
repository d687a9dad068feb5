/**
 * One pass over JSON text that measures it without parsing it: how deep it nests and how many
 * members its top-level object has. The file readers run it before `JSON.parse`, so that a
 * header of 100k nested arrays or of a million empty tensors is refused in a few milliseconds
 * and a few bytes of memory, instead of after seconds and gigabytes of parsing. It does not
 * validate: text it lets through still goes to `JSON.parse`.
 */

export interface JsonScan {
  /** Why the scan stopped early, or null when the text is within both limits. */
  readonly problem: 'depth' | 'members' | null;
  /** The character where it stopped (the bracket past the depth limit, the member past the count limit). */
  readonly at: number;
  /** Top-level members counted (up to the limit plus one). */
  readonly members: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const isOpen = (c: number) => c === 0x7b || c === 0x5b; // { [
const isClose = (c: number) => c === 0x7d || c === 0x5d; // } ]

/**
 * Scans `text` and stops at the first bracket that would nest deeper than `maxDepth` (the
 * top-level object is depth 1) or the first top-level member past `maxMembers`.
 */
export function scanJson(text: string, maxDepth: number, maxMembers = Infinity): JsonScan {
  let depth = 0;
  let members = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH)
        i++; // the escaped character cannot end the string
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (isOpen(c)) {
      if (++depth > maxDepth) return { problem: 'depth', at: i, members };
    } else if (isClose(c)) {
      depth--;
    } else if (c === COLON && depth === 1) {
      // a key's colon in the top-level object: one member
      if (++members > maxMembers) return { problem: 'members', at: i, members };
    }
  }
  return { problem: null, at: text.length, members };
}
