//! Fuzz target `tabular_parquet`: the body is `caravan_fuzz::tabular_parquet`, which `crates/caravan-fuzz/tests/corpus.rs`
//! also runs on the committed corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| caravan_fuzz::tabular_parquet(data));
