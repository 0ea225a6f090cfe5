//! Fuzz target `tabular_parquet`: the body is `caravan_fuzz::tabular_parquet`, which
//! `crates/caravan-fuzz/tests/corpus.rs` also runs on the committed corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // `caravan-io` turns the `parquet` crate's panics on damaged files into errors with
    // `catch_unwind`; libFuzzer's panic hook (installed before the first input) would abort on
    // them before they are caught, so the default hook is put back. A panic that escapes the
    // target still aborts: libfuzzer-sys checks the unwind itself.
    static DEFAULT_HOOK: std::sync::Once = std::sync::Once::new();
    DEFAULT_HOOK.call_once(|| drop(std::panic::take_hook()));
    caravan_fuzz::tabular_parquet(data);
});
