//! Fuzz target `interop_documents`: the body is `caravan_fuzz::interop_documents`, which `crates/caravan-fuzz/tests/corpus.rs`
//! also runs on the committed corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| caravan_fuzz::interop_documents(data));
