//! The SQLite implementation of [`caravan_store::DeclarationStore`].
//! Its write transaction is `BEGIN IMMEDIATE` (WAL, synchronous=FULL: one fsync per batch).
//! The SQL is shared with the other adapter: `crates/caravan-store/sql/declarations.rs`.

include!("../../caravan-store/sql/declarations.rs");
