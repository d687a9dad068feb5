// Runs the crate's `#[test]` functions compiled to WebAssembly (the test binary of
// `cargo test --target wasm32-unknown-unknown --no-run`, whose runner is crate/src/wasm_harness.rs).
//
// Usage: node [--experimental-wasm-relaxed-simd] scripts/run-wasm-tests.mjs <tests.wasm> <label> [filter]
//
// The module is compiled once and instantiated afresh for every test: a panic is a trap that
// leaves its instance unusable, so one failing test must not take the others down, and a
// `#[should_panic]` test passes when its instance traps with the expected message.
// Prints one line per failure and a summary (like `cargo test`); exits 1 if any test failed.
import { readFileSync } from 'node:fs';

const [file, label = file, filter = ''] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/run-wasm-tests.mjs <tests.wasm> <label> [filter]');
  process.exit(2);
}
const module = new WebAssembly.Module(readFileSync(file));

/** Instantiates the tests and calls their `main` with `selected` = index, or −1 to list them. */
function start(index, onListed = () => {}) {
  let memory;
  const text = (ptr, len) => new TextDecoder().decode(new Uint8Array(memory.buffer, ptr, len));
  const run = { panic: null };
  const harness = {
    selected: () => index,
    listed: (name, nameLen, ignored, shouldPanic, expected, expectedLen) =>
      onListed({ name: text(name, nameLen), ignored: ignored !== 0, shouldPanic, expected: text(expected, expectedLen) }),
    panicked: (message, len) => {
      run.panic = text(message, len);
    },
  };
  const instance = new WebAssembly.Instance(module, { harness });
  memory = instance.exports.memory;
  try {
    instance.exports.main(0, 0);
    run.trap = null;
  } catch (e) {
    if (!(e instanceof WebAssembly.RuntimeError)) throw e;
    run.trap = e.message;
  }
  return run;
}

const tests = [];
const listing = start(-1, (t) => tests.push({ ...t, index: tests.length }));
if (listing.trap) throw new Error(`${label}: listing the tests trapped: ${listing.panic ?? listing.trap}`);
tests.sort((a, b) => (a.name < b.name ? -1 : 1));

/** null when the test passed, else why it failed. */
function verdict(t, run) {
  if (t.shouldPanic === 0) return run.trap ? `panicked: ${run.panic ?? run.trap}` : null;
  if (!run.trap) return 'did not panic (#[should_panic])';
  if (run.panic === null) return `trapped without a panic: ${run.trap}`;
  if (t.shouldPanic === 2 && !run.panic.includes(t.expected)) {
    return `panicked with "${run.panic}", expected a message containing "${t.expected}"`;
  }
  return null;
}

const began = performance.now();
let passed = 0,
  ignored = 0,
  filtered = 0;
const failures = [];
for (const t of tests) {
  if (!t.name.includes(filter)) {
    filtered++;
    continue;
  }
  if (t.ignored) {
    ignored++;
    continue;
  }
  const why = verdict(t, start(t.index));
  if (why === null) passed++;
  else {
    failures.push(t.name);
    console.log(`[wasm tests ${label}] FAILED ${t.name}: ${why}`);
  }
}
const seconds = ((performance.now() - began) / 1000).toFixed(1);
console.log(
  `[wasm tests ${label}] ${failures.length ? 'FAILED' : 'ok'}: ${passed} passed, ${failures.length} failed, ` +
    `${ignored} ignored, ${filtered} filtered out (${seconds} s)`,
);
if (tests.length === 0) {
  console.log(`[wasm tests ${label}] the binary lists no tests`);
  process.exit(1);
}
process.exit(failures.length ? 1 : 0);
