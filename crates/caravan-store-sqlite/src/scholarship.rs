//! The SQLite implementation of [`caravan_store::ScholarshipStore`].
//! The SQL is shared with the other adapter: `crates/caravan-store/sql/scholarship.rs`.

include!("../../caravan-store/sql/scholarship.rs");
