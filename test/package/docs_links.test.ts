import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { anchors, isExternal, links, npmScripts, repoPaths } from '../helpers/markdown.js';

// The README and docs/ name files, anchors, paths and npm scripts; each must exist, so the pages
// cannot drift from the tree when a file moves or a script is renamed.
const PAGES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const read = (page: string) => readFileSync(join(ROOT, page), 'utf8');

// Written on another branch at the same time as these pages (issue 20): a link to it is checked
// once the file exists. Remove the entry when it has landed.

/** A repository path (relative to ROOT) exists; `*` matches within one path segment. */
function exists(path: string): boolean {
  if (!path.includes('*')) return existsSync(join(ROOT, path));
  const dir = dirname(path);
  const pattern = new RegExp(
    `^${path
      .slice(dir.length + 1)
      .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')}$`,
  );
  return existsSync(join(ROOT, dir)) && readdirSync(join(ROOT, dir)).some((f) => pattern.test(f));
}

describe.each(PAGES)('%s', (page) => {
  const text = read(page);

  it('links only to files and headings that exist', () => {
    const broken: string[] = [];
    for (const { target } of links(text)) {
      if (isExternal(target)) continue;
      const [file, anchor] = target.split('#');
      const path = file === '' ? page : relative(ROOT, resolve(ROOT, dirname(page), decodeURIComponent(file)));
      if (path.startsWith('..') || !existsSync(join(ROOT, path))) {
        broken.push(`${target}: no file ${path}`);
        continue;
      }
      if (anchor !== undefined && path.endsWith('.md') && !anchors(read(path)).has(anchor))
        broken.push(`${target}: ${path} has no heading #${anchor}`);
      if (anchor !== undefined && !path.endsWith('.md') && statSync(join(ROOT, path)).isFile())
        broken.push(`${target}: an anchor into ${path}`);
    }
    expect(broken).toEqual([]);
  });

  it('names only repository paths that exist', () => {
    const missing = repoPaths(text).filter((p) => !exists(p));
    expect(missing).toEqual([]);
  });

  it('runs only npm scripts that package.json defines', () => {
    const scripts = Object.keys(JSON.parse(read('package.json')).scripts);
    expect(npmScripts(text).filter((s) => !scripts.includes(s))).toEqual([]);
  });
});

it('the README keeps the two commands and fits in 250 lines', () => {
  const readme = read('README.md');
  // .ci/run and the docs promise these two commands, exactly.
  expect(readme).toMatch(/^npm run mnist {3}# /m);
  expect(readme).toMatch(/^npm test {8}# /m);
  expect(readme.split('\n').length).toBeLessThanOrEqual(250);
});
