//! Fuzz target `tabular_csv`: the body is `caravan_fuzz::tabular_csv`, which `crates/caravan-fuzz/tests/corpus.rs`
//! also runs on the committed corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| caravan_fuzz::tabular_csv(data));
