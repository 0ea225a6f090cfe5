//! Fuzz target `declaration_json`: the body is `caravan_fuzz::declaration_json`, which `crates/caravan-fuzz/tests/corpus.rs`
//! also runs on the committed corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| caravan_fuzz::declaration_json(data));
