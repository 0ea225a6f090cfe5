//! The PostgreSQL implementation of [`caravan_store::LandStore`].
//! The SQL is shared with the other adapter: `crates/caravan-store/sql/land.rs`.

include!("../../caravan-store/sql/land.rs");
