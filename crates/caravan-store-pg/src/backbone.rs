//! The PostgreSQL implementation of the backbone of [`caravan_store::Store`].
//! The SQL is shared with the other adapter: `crates/caravan-store/sql/backbone.rs`.

include!("../../caravan-store/sql/backbone.rs");
