import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { importCycles } from '../../scripts/check-cycles.js';

// The import-cycle check that npm test runs over ts/, demo/ and scripts/: it must see a circle
// closed by a type import, and must not see one in a chain or through a dynamic import().
const dir = mkdtempSync(join(tmpdir(), 'backprop-wasm-cycles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** Writes the files into the scratch folder; returns their paths. */
function write(files: Record<string, string>): string[] {
  return Object.entries(files).map(([name, text]) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  });
}

it('finds a circle closed by a type import, and none in a chain or through import()', () => {
  const circle = write({
    'a.ts': "import { b } from './b.js';\nexport const a = b;\n",
    'b.ts': "import type { C } from './c.js';\nexport const b = 1 as unknown as C;\n",
    'c.ts': "export type { A } from './a.js';\nexport type C = number;\n",
  });
  expect(importCycles(circle).map((c) => c.map((f) => f.split('/').pop()))).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
  const chain = write({
    'd.ts': "import { e } from './e.js';\nexport const d = e;\n",
    'e.ts': "export const e = 1;\nexport const later = () => import('./d.js');\n",
  });
  expect(importCycles(chain)).toEqual([]);
});
