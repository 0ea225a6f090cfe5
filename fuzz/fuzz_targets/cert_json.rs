//! Fuzz target `cert_json`: the body is `caravan_fuzz::cert_json`, which `crates/caravan-fuzz/tests/corpus.rs`
//! also runs on the committed corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| caravan_fuzz::cert_json(data));
