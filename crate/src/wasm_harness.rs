//! The test runner of the crate's own `#[test]` functions when they are compiled for
//! WebAssembly (`cargo test --target wasm32-unknown-unknown --no-run`), so the SIMD128 and
//! relaxed-SIMD code paths, which native `cargo test` never compiles, are tested too.
//!
//! libtest cannot run there: wasm32-unknown-unknown has no stdout, and a panic is a trap that
//! ends the instance. So the test binary's `main` hands the list of tests to [`run`]
//! (`#![test_runner]` in lib.rs), which talks to `scripts/run-wasm-tests.mjs` through three
//! imports of module `harness`: it either lists the tests, or runs the one the host selects.
//! The host gives every test a fresh instance, so a failing test (a trap) ends only its own
//! run, and a `#[should_panic]` test is one whose instance traps with the expected message.

extern crate test;

use test::{ShouldPanic, TestDescAndFn, TestFn};

#[link(wasm_import_module = "harness")]
extern "C" {
    /// Index of the test to run, or −1 to list them all.
    fn selected() -> i32;
    /// One entry of the list: the name, whether it is ignored, and its `should_panic`
    /// expectation (0 none, 1 any panic, 2 a panic whose message contains `expected`).
    fn listed(
        name: *const u8,
        name_len: usize,
        ignored: i32,
        should_panic: i32,
        expected: *const u8,
        expected_len: usize,
    );
    /// The message of a panic, just before it traps.
    fn panicked(message: *const u8, message_len: usize);
}

/// Lists the tests, or runs the selected one (see the module docs).
pub fn run(tests: &[&TestDescAndFn]) {
    // SAFETY: imports without preconditions, provided by the host.
    let which = unsafe { selected() };
    if which < 0 {
        for t in tests {
            let name = t.desc.name.as_slice();
            let (should_panic, expected) = match t.desc.should_panic {
                ShouldPanic::No => (0, ""),
                ShouldPanic::Yes => (1, ""),
                ShouldPanic::YesWithMessage(m) => (2, m),
            };
            // SAFETY: pointers and lengths of live strings, read by the host during the call.
            unsafe {
                listed(
                    name.as_ptr(),
                    name.len(),
                    t.desc.ignore as i32,
                    should_panic,
                    expected.as_ptr(),
                    expected.len(),
                )
            };
        }
        return;
    }
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        // SAFETY: as above.
        unsafe { panicked(message.as_ptr(), message.len()) };
    }));
    let t = tests
        .get(which as usize)
        .unwrap_or_else(|| panic!("harness: no test {which}, there are {}", tests.len()));
    let outcome = match &t.testfn {
        TestFn::StaticTestFn(f) => f(),
        _ => panic!(
            "harness: {} is not a plain #[test] function",
            t.desc.name.as_slice()
        ),
    };
    if let Err(e) = outcome {
        panic!("{e}");
    }
}
