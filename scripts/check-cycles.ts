/**
 * Fails when the TypeScript modules import each other in a circle. Every static import counts,
 * `import type` included: a type import is a dependency of the design too, and the folders
 * (core → layers → nets → training, …) read as layers only if no module needs one above it.
 * A dynamic `import()` loads on demand and does not count. Relative imports only (packages
 * cannot import us back).
 *
 * Usage: npx tsx scripts/check-cycles.ts [folder ...]    (default: ts demo scripts; npm test runs it)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '..');

/** Every .ts file under `dir`, generated WASM wrappers included (they import nothing). */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sources(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The static imports of one file (`import … from`, `export … from`), as absolute .ts paths. */
export function staticImports(file: string, text = readFileSync(file, 'utf8')): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const found: string[] = [];
  for (const s of source.statements) {
    if (!(ts.isImportDeclaration(s) || ts.isExportDeclaration(s)) || !s.moduleSpecifier || !ts.isStringLiteral(s.moduleSpecifier)) continue;
    if (s.moduleSpecifier.text.startsWith('.')) found.push(resolve(dirname(file), s.moduleSpecifier.text).replace(/\.js$/, '.ts'));
  }
  return found;
}

/** The import circles among `files`, each as a list of paths relative to the repository. */
export function importCycles(files: string[]): string[][] {
  const known = new Set(files);
  const edges = new Map(files.map((f) => [f, staticImports(f).filter((t) => known.has(t))]));
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of edges.get(file)!) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next].map((f) => relative(root, f)));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return cycles;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const folders = process.argv.length > 2 ? process.argv.slice(2) : ['ts', 'demo', 'scripts'];
  const files = folders.flatMap((f) => sources(resolve(root, f)));
  const cycles = importCycles(files);
  for (const c of cycles) console.error(`import cycle: ${c.join(' → ')}`);
  if (cycles.length > 0) process.exit(1);
  console.error(`[check-cycles] no import cycles among ${files.length} modules (${folders.join(', ')})`);
}
