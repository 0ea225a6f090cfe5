//! Fuzz target `tabular_parquet`: the body is `caravan_fuzz::tabular_parquet`, which
//! `crates/caravan-fuzz/tests/corpus.rs` also runs on the committed corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(
    init: {
        // `caravan-io` turns the `parquet` crate's panics on damaged files into errors with
        // `catch_unwind`; libFuzzer's hook would abort on them before they are caught. A panic
        // that escapes the target still aborts (libfuzzer-sys checks the unwind itself).
        drop(std::panic::take_hook());
    },
    |data: &[u8]| caravan_fuzz::tabular_parquet(data)
);
