//! The PostgreSQL implementation of [`caravan_store::DatasetStore`].
//! The SQL is shared with the other adapter: `crates/caravan-store/sql/datasets.rs`.

include!("../../caravan-store/sql/datasets.rs");
