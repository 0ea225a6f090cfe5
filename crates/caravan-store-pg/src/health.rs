//! The PostgreSQL write probe of [`caravan_store::Store::check_writable`]: a committed write
//! that leaves no trace, taken at most once a second.
//! The code is shared with the other adapter: `crates/caravan-store/sql/health.rs`.

include!("../../caravan-store/sql/health.rs");
