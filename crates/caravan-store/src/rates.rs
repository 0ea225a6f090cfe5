//! Storage of the official exchange rates administrators enter for the tariff calculator
//! (issue 18): one rate per day and currency pair, as `date,from,to,rate,source`.
//!
//! The rate is kept as the decimal text the administrator gave (the server validated it), so no
//! binary float ever touches it; `date` is a calendar day (`YYYY-MM-DD`), stored as that text.

use async_trait::async_trait;
use caravan_types::CurrencyCode;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::{Actor, Change, StoreResult};

/// An official exchange rate: on `date`, one `from` is worth `rate` `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StoredRate {
    /// The day the rate is for.
    #[serde(with = "day")]
    #[schema(value_type = String, format = Date, example = "2026-03-02")]
    pub date: Date,
    /// The foreign currency, ISO 4217.
    #[schema(value_type = String, example = "EUR")]
    pub from: CurrencyCode,
    /// The schedule's currency, ISO 4217.
    #[schema(value_type = String, example = "KZT")]
    pub to: CurrencyCode,
    /// Units of `to` per one `from`, as the decimal text entered.
    #[schema(example = "545.12")]
    pub rate: String,
    /// Who published the rate.
    #[schema(example = "National Bank of Kazakhstan")]
    pub source: String,
    /// Who entered it last (user name, or `system:…`).
    pub entered_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub entered_at: OffsetDateTime,
}

/// A rate to enter (see [`StoredRate`]); validated by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRate {
    pub date: Date,
    pub from: CurrencyCode,
    pub to: CurrencyCode,
    pub rate: String,
    pub source: String,
}

/// What [`ExchangeRateStore::put_exchange_rates`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
pub struct PutRates {
    /// Rows for a day and pair that had no rate.
    pub added: u64,
    /// Rows that replaced a different rate or source for the same day and pair.
    pub replaced: u64,
    /// Rows equal to what was stored already.
    pub unchanged: u64,
}

mod day {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;

    const FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
        time::macros::format_description!("[year]-[month]-[day]");

    pub(super) fn serialize<S: Serializer>(date: &Date, s: S) -> Result<S::Ok, S::Error> {
        let text = date.format(FORMAT).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let text = String::deserialize(d)?;
        Date::parse(&text, FORMAT).map_err(serde::de::Error::custom)
    }
}

/// A day as stored: `YYYY-MM-DD`, so text order is date order.
pub fn day_text(date: Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

/// Inverse of [`day_text`].
///
/// # Errors
/// [`crate::StoreError::Corrupt`] for text that is not a day.
pub fn parse_day(text: &str) -> StoreResult<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text, format).map_err(|e| crate::StoreError::Corrupt {
        what: "exchange rate date",
        reason: format!("{text:?}: {e}"),
    })
}

/// Storage of official exchange rates.
#[async_trait]
pub trait ExchangeRateStore: Send + Sync {
    /// Enters rates, each replacing any rate stored for its day and pair, in one transaction
    /// with one audit entry (`tariff.rates.put`, target `exchange_rates:{to}` of the first row)
    /// listing every row added or replaced with the value it replaced. Rows equal to what is
    /// stored change nothing; when every row is such, no audit entry is written.
    async fn put_exchange_rates(&self, change: &Change, rates: &[NewRate])
    -> StoreResult<PutRates>;

    /// The rates into `to` (all currencies when `None`), newest day first, then by `from`;
    /// at most `limit`.
    async fn exchange_rates(
        &self,
        to: Option<CurrencyCode>,
        limit: i64,
    ) -> StoreResult<Vec<StoredRate>>;

    /// Every rate into `to` from `from` days on (the calculator's working set), oldest first.
    async fn exchange_rates_into(
        &self,
        to: CurrencyCode,
        from: Date,
    ) -> StoreResult<Vec<StoredRate>>;
}

/// The conformance checks of this part of the port, run on every adapter.
pub async fn conformance(store: &dyn crate::Store) {
    let at = crate::conformance::t0();
    let change = Change { actor: Actor::system("test"), at };
    let code = |c: &str| CurrencyCode::parse(c).expect("valid");
    let day = |d: &str| parse_day(d).expect("valid");
    let row = |date: &str, from: &str, to: &str, rate: &str| NewRate {
        date: day(date),
        from: code(from),
        to: code(to),
        rate: rate.to_owned(),
        source: "National Bank of Kazakhstan".to_owned(),
    };
    let put = store
        .put_exchange_rates(
            &change,
            &[
                row("2026-03-01", "EUR", "KZT", "545.12"),
                row("2026-03-02", "EUR", "KZT", "546.00"),
                row("2026-03-02", "USD", "KZT", "505.10"),
                row("2026-03-02", "EUR", "KGS", "95.1"),
            ],
        )
        .await
        .expect("put");
    assert_eq!(put, PutRates { added: 4, replaced: 0, unchanged: 0 });
    let kzt = store.exchange_rates(Some(code("KZT")), 100).await.expect("list");
    let listed: Vec<(String, &str, &str)> =
        kzt.iter().map(|r| (day_text(r.date), r.from.as_str(), r.rate.as_str())).collect();
    assert_eq!(
        listed,
        vec![
            ("2026-03-02".to_owned(), "EUR", "546.00"),
            ("2026-03-02".to_owned(), "USD", "505.10"),
            ("2026-03-01".to_owned(), "EUR", "545.12"),
        ]
    );
    assert_eq!(kzt[0].entered_by, "system:test");
    assert_eq!(kzt[0].entered_at, at);
    assert_eq!(store.exchange_rates(None, 100).await.expect("all").len(), 4);
    assert_eq!(store.exchange_rates(None, 2).await.expect("limited").len(), 2);

    // A second entry for a day replaces it; the same value again changes nothing.
    let audit_before = store.audit_entries(0, 1000).await.expect("audit").len();
    let put = store
        .put_exchange_rates(
            &change,
            &[row("2026-03-02", "EUR", "KZT", "547.50"), row("2026-03-01", "EUR", "KZT", "545.12")],
        )
        .await
        .expect("replace");
    assert_eq!(put, PutRates { added: 0, replaced: 1, unchanged: 1 });
    let audit = store.audit_entries(0, 1000).await.expect("audit");
    assert_eq!(audit.len(), audit_before + 1);
    let last = audit.last().expect("an entry");
    assert_eq!(last.action, "tariff.rates.put");
    assert_eq!(last.target, "exchange_rates:KZT");
    assert_eq!(last.details["rows"][0]["previous"], "546.00", "{}", last.details);
    let put = store
        .put_exchange_rates(&change, &[row("2026-03-01", "EUR", "KZT", "545.12")])
        .await
        .expect("same");
    assert_eq!(put, PutRates { added: 0, replaced: 0, unchanged: 1 });
    assert_eq!(store.audit_entries(0, 1000).await.expect("audit").len(), audit_before + 1);

    let into = store.exchange_rates_into(code("KZT"), day("2026-03-02")).await.expect("into");
    let got: Vec<(&str, &str)> = into.iter().map(|r| (r.from.as_str(), r.rate.as_str())).collect();
    assert_eq!(got, vec![("EUR", "547.50"), ("USD", "505.10")]);
    assert!(
        store.exchange_rates_into(code("CNY"), day("2000-01-01")).await.expect("none").is_empty()
    );
}
