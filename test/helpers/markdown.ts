/**
 * What the tests of README.md and docs/ read from markdown: code blocks, links and images, the
 * anchors headings make, and the repository paths and npm scripts the prose names.
 */

/** The body of every fenced code block whose info string is `lang` (all blocks without it). */
export function codeBlocks(markdown: string, lang?: string): string[] {
  const blocks: string[] = [];
  for (const m of markdown.matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)) {
    if (lang === undefined || m[1].trim() === lang) blocks.push(m[2]);
  }
  return blocks;
}

/** The markdown without its fenced code blocks and inline code spans (which hold no links). */
function prose(markdown: string): string {
  return markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '').replace(/`[^`\n]*`/g, '');
}

export interface Link {
  /** `![alt](target)` rather than `[text](target)`. */
  image: boolean;
  target: string;
}

/** Every link and image target of the markdown's prose, in order. */
export function links(markdown: string): Link[] {
  return [...prose(markdown).matchAll(/(!?)\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => ({ image: m[1] === '!', target: m[2] }));
}

/** Whether a link leaves the repository (a URL with a scheme, or protocol-relative). */
export function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');
}

/** The anchors GitHub makes for the markdown's headings (`## The CNN: \`--model cnn\`` → `the-cnn---model-cnn`). */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const text = markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '');
  for (const m of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = m[1]
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

/** The top-level folders whose paths the docs name and the tests check. */
const TRACKED = ['ts', 'crate', 'test', 'bench', 'demo', 'scripts', 'docs', '.ci'];

/**
 * Repository paths named anywhere in the markdown, code blocks included (`scripts/setup-browsers.sh`,
 * `test/e2e/drivers/`), under the folders above. A path that goes on into a pattern
 * (`latest.{json,md}`, `<area>`) is cut before it; one with `*` is returned as written, a glob.
 */
export function repoPaths(markdown: string): string[] {
  const re = new RegExp(`(?<![\\w./-])(?:${TRACKED.map((d) => d.replace('.', '\\.')).join('|')})/[\\w./*-]*`, 'g');
  const paths = new Set<string>();
  for (const m of markdown.matchAll(re)) {
    let path = m[0];
    const next = markdown[m.index + path.length];
    // `latest.{json,md}` or `nn_<build>`: keep only the folder the pattern lives in.
    if (next === '{' || next === '<') path = path.slice(0, path.lastIndexOf('/') + 1);
    path = path.replace(/\.+$/, '');
    paths.add(path);
  }
  return [...paths];
}

/** The npm scripts the markdown runs (`npm run demo:graph`, `npm run -s mnist`). */
export function npmScripts(markdown: string): string[] {
  return [...new Set([...markdown.matchAll(/\bnpm run (?:-s )?([\w:-]+)/g)].map((m) => m[1]))];
}
