//! The SQLite implementation of [`caravan_store::ExchangeRateStore`].
//! The SQL is shared with the other adapter: `crates/caravan-store/sql/rates.rs`.

include!("../../caravan-store/sql/rates.rs");
