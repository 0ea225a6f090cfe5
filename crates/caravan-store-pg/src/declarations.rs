//! The PostgreSQL implementation of [`caravan_store::DeclarationStore`].
//! Its write transaction holds the writers' advisory lock (one durable commit per batch).
//! The SQL is shared with the other adapter: `crates/caravan-store/sql/declarations.rs`.

include!("../../caravan-store/sql/declarations.rs");
