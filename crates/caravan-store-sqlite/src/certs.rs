//! The SQLite implementation of [`caravan_store::CertStore`].
//! The SQL is shared with the other adapter: `crates/caravan-store/sql/certs.rs`.

include!("../../caravan-store/sql/certs.rs");
