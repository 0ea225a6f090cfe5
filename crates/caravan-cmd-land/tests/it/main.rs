//! Integration tests of `caravan land`: planted scenes through `run`, bad inputs, regions,
//! streaming and the bench.

#![allow(
    clippy::unwrap_used,
    clippy::float_cmp,
    clippy::needless_range_loop,
    reason = "test helpers fail loudly; raster codes and areas compared are exact"
)]

mod bad_input;
mod bench;
mod common;
mod regions;
mod sdg15;
mod streaming;
