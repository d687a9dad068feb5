import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { codeBlocks, isExternal, links } from '../helpers/markdown.js';
import { installPackedPackage } from '../helpers/pack.js';

// The README's example is what a newcomer copies first, so it runs here exactly as written: the
// first ```ts block of README.md, type-checked and run with tsx in an empty project that has only
// the packed tarball installed (as after `npm install backprop-wasm`).
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const work = mkdtempSync(join(tmpdir(), 'backprop-wasm-readme-'));
let app: string;
afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(() => {
  app = installPackedPackage(work, ['index.js', 'index.d.ts']);
}, 120_000);

it("the README's example type-checks and runs as written against the installed package", () => {
  const example = codeBlocks(readme, 'ts')[0];
  expect(example, 'README.md has no ```ts block').toBeDefined();
  writeFileSync(join(app, 'example.ts'), example);
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2022', 'DOM'],
        strict: true,
        noEmit: true,
        types: [],
      },
      files: ['example.ts'],
    }),
  );
  const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);
  execFileSync(bin('tsc'), ['-p', 'tsconfig.json'], { cwd: app, encoding: 'utf8' });
  const lines = execFileSync(bin('tsx'), ['example.ts'], { cwd: app, encoding: 'utf8', timeout: 60_000 }).trim().split('\n');
  // What its comments promise: the build it loaded, a gradient check that passes, and XOR learned.
  expect(lines[0]).toMatch(/^wasm-/);
  expect(lines.some((l) => l.startsWith('ok: '))).toBe(true);
  const [loss, accuracy] = lines[lines.length - 1].split(' ').map(Number);
  expect(loss).toBeLessThan(0.05);
  expect(accuracy).toBeGreaterThanOrEqual(0.99);
}, 90_000);

it("every image and relative link of the README is a file in the packed tarball (the npm page's README)", () => {
  const listing = execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: ROOT, encoding: 'utf8' });
  const files = new Set((JSON.parse(listing) as { files: { path: string }[] }[])[0].files.map((f) => f.path));
  const targets = links(readme)
    .filter((l) => !isExternal(l.target) && !l.target.startsWith('#'))
    .map((l) => normalize(decodeURIComponent(l.target.split('#')[0])))
    // A target missing from the repository is docs_links.test.ts's failure; here, what exists must be packed.
    .filter((t) => existsSync(join(ROOT, t)));
  expect(links(readme).some((l) => l.image)).toBe(true);
  expect(targets.filter((t) => !files.has(t))).toEqual([]);
});

it("the guide's shopping examples (docs/guide.md) run as written and print the book's numbers", () => {
  const guide = readFileSync(join(ROOT, 'docs', 'guide.md'), 'utf8');
  const shopping = codeBlocks(guide, 'ts').filter((b) => b.includes('// 715'));
  expect(shopping).toHaveLength(2);
  for (const [i, block] of shopping.entries()) {
    // Run from the repository, where 'backprop-wasm' resolves to dist/ and the optional peer
    // @viz-js/viz that toSvg needs is installed.
    const file = join(ROOT, 'build', `guide-shopping-${i}.ts`);
    writeFileSync(file, block);
    try {
      const out = execFileSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [file], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      const printed = out.trim().split(/\s+/).map(Number);
      const promised = (/\/\/ ([\d. ]+)/.exec(block)?.[1] ?? '').trim().split(' ').map(Number);
      expect(printed.map((v) => Number(v.toPrecision(12)))).toEqual(promised);
    } finally {
      rmSync(file, { force: true });
    }
  }
}, 90_000);
