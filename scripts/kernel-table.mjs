// Reads the kernel table of crate/src/abi.rs (the `kernels!` macro: one entry per kernel, its
// arguments with roles and element counts) and the module's other exports. Used by
// scripts/embed-wasm.mjs (every build exports every kernel) and test/kernels/contract.test.ts
// (the TypeScript contract against the table).
import { readFileSync } from 'node:fs';

/** crate/src/abi.rs, from the repository root. */
export const ABI_PATH = new URL('../crate/src/abi.rs', import.meta.url);

/**
 * @typedef {{ name: string, role: string, len: string | undefined }} TableArg
 * @typedef {{ name: string, args: TableArg[], returns: string, where: { name: string, expr: string }[] }} TableKernel
 * @typedef {{ kernels: TableKernel[], exports: { name: string, feature: string | undefined }[] }} KernelTable
 */

/** The text between `open` at `from` and its matching close (parentheses, brackets and braces nest). */
function balanced(text, from) {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch) && --depth === 0) return { inner: text.slice(from + 1, i), end: i + 1 };
  }
  throw new Error(`abi.rs: unbalanced ${text[from]} at ${from}`);
}

/** Splits at the commas (or `sep`) that are not inside parentheses, brackets or braces. */
function splitTop(text, sep = ',') {
  const parts = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch)) depth--;
    else if (ch === sep && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** @returns {KernelTable} */
export function readKernelTable(source = readFileSync(ABI_PATH, 'utf8')) {
  const at = source.search(/^kernels! \{/m);
  if (at < 0) throw new Error('abi.rs: no `kernels! {` table');
  const table = balanced(source, source.indexOf('{', at));
  const kernels = [];
  const text = table.inner.replace(/^\s*\/\/\/.*$/gm, ''); // doc comments may hold any character
  const entry = /\bfn (\w+)\s*\(/g;
  for (let m = entry.exec(text); m !== null; m = entry.exec(text)) {
    const params = balanced(text, m.index + m[0].length - 1);
    const rest = /^\s*->\s*(\w+)\s*(?:where([^{]*))?\{/.exec(text.slice(params.end));
    if (!rest) throw new Error(`abi.rs: kernel ${m[1]} has no '-> returns {'`);
    const args = splitTop(params.inner).map((p) => {
      const a = /^(\w+)\s*:\s*(\w+)\s*(?:\[([\s\S]*)\])?$/.exec(p);
      if (!a) throw new Error(`abi.rs: kernel ${m[1]}: cannot read argument '${p}'`);
      return { name: a[1], role: a[2], len: a[3]?.trim() };
    });
    const where = splitTop(rest[2] ?? '', ';').map((w) => {
      const [name, ...expr] = w.split('=');
      return { name: name.trim(), expr: expr.join('=').trim() };
    });
    kernels.push({ name: m[1], args, returns: rest[1], where });
    const body = balanced(text, params.end + rest[0].length - 1);
    entry.lastIndex = body.end;
  }
  const exports = [];
  for (const e of source.matchAll(/((?:#\[[^\]]*\]\s*)*)pub (?:unsafe )?extern "C" fn (nn_\w+)/g)) {
    exports.push({ name: e[2], feature: /feature = "([\w-]+)"/.exec(e[1])?.[1] });
  }
  return { kernels, exports };
}
