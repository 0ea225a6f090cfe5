//! Integration tests of caravan-customs: the shipped samples and invalid corpus, the published
//! JSON Schema against the Rust types, and the laws of validation as proptest properties.

mod fixture;
mod laws;
mod purity;
mod samples;
mod schema;
