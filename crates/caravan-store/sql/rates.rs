// The SQL implementation of `caravan_store::ExchangeRateStore` shared by both adapters: each
// adapter's `src/rates.rs` includes this file, and `DbRow` and `DbStore` name that adapter's
// types. Keep the SQL portable (numbered `$n` parameters, standard types).
use async_trait::async_trait;
use caravan_store::rates::{NewRate, PutRates, StoredRate, day_text, parse_day};
use caravan_store::{
    Change, ExchangeRateStore, NewAudit, StoreResult, from_unix_ms, to_stored_resolution, unix_ms,
};
use caravan_types::CurrencyCode;
use sqlx::Row;

use crate::DbRow;
use crate::{DbStore as ThisStore, append_audit_tx, backend, corrupt};

const RATE_COLS: &str =
    "rate_date, from_currency, to_currency, rate, source, entered_by, entered_at_ms";

fn rate_from_row(row: &DbRow) -> StoreResult<StoredRate> {
    let currency = |column: &str| -> StoreResult<CurrencyCode> {
        let text: String = row.try_get(column).map_err(backend)?;
        CurrencyCode::parse(&text).map_err(|e| corrupt("exchange rate", e))
    };
    let date: String = row.try_get("rate_date").map_err(backend)?;
    Ok(StoredRate {
        date: parse_day(&date)?,
        from: currency("from_currency")?,
        to: currency("to_currency")?,
        rate: row.try_get("rate").map_err(backend)?,
        source: row.try_get("source").map_err(backend)?,
        entered_by: row.try_get("entered_by").map_err(backend)?,
        entered_at: from_unix_ms(row.try_get("entered_at_ms").map_err(backend)?)?,
    })
}

#[async_trait]
impl ExchangeRateStore for ThisStore {
    async fn put_exchange_rates(
        &self,
        change: &Change,
        rates: &[NewRate],
    ) -> StoreResult<PutRates> {
        let rates = rates.to_vec();
        let change = change.clone();
        self.write(move |tx| {
            Box::pin(async move {
                let at = to_stored_resolution(change.at);
                let mut put = PutRates::default();
                let mut rows = Vec::new();
                for rate in &rates {
                    let day = day_text(rate.date);
                    let stored: Option<(String, String)> = sqlx::query_as(
                        "SELECT rate, source FROM exchange_rates \
                         WHERE rate_date = $1 AND from_currency = $2 AND to_currency = $3",
                    )
                    .bind(&day)
                    .bind(rate.from.as_str())
                    .bind(rate.to.as_str())
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(backend)?;
                    if stored.as_ref().is_some_and(|(r, s)| *r == rate.rate && *s == rate.source) {
                        put.unchanged += 1;
                        continue;
                    }
                    sqlx::query(
                        "INSERT INTO exchange_rates (rate_date, from_currency, to_currency, rate, source, entered_by, entered_at_ms) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7) \
                         ON CONFLICT (rate_date, from_currency, to_currency) DO UPDATE SET \
                         rate = excluded.rate, source = excluded.source, \
                         entered_by = excluded.entered_by, entered_at_ms = excluded.entered_at_ms",
                    )
                    .bind(&day)
                    .bind(rate.from.as_str())
                    .bind(rate.to.as_str())
                    .bind(&rate.rate)
                    .bind(&rate.source)
                    .bind(&change.actor.name)
                    .bind(unix_ms(at))
                    .execute(&mut **tx)
                    .await
                    .map_err(backend)?;
                    if stored.is_some() {
                        put.replaced += 1;
                    } else {
                        put.added += 1;
                    }
                    rows.push(serde_json::json!({
                        "date": day, "from": rate.from.as_str(), "to": rate.to.as_str(),
                        "rate": rate.rate, "source": rate.source,
                        "previous": stored.as_ref().map(|(r, _)| r),
                        "previous_source": stored.as_ref().map(|(_, s)| s),
                    }));
                }
                if let Some(first) = rates.first().filter(|_| !rows.is_empty()) {
                    let details = serde_json::json!({
                        "added": put.added, "replaced": put.replaced, "unchanged": put.unchanged,
                        "rows": rows,
                    });
                    let audit = NewAudit {
                        action: "tariff.rates.put",
                        target: format!("exchange_rates:{}", first.to),
                        details,
                    };
                    append_audit_tx(tx, &change, &audit).await?;
                }
                Ok(put)
            })
        })
        .await
    }

    async fn exchange_rates(
        &self,
        to: Option<CurrencyCode>,
        limit: i64,
    ) -> StoreResult<Vec<StoredRate>> {
        let rows = sqlx::query(&format!(
            "SELECT {RATE_COLS} FROM exchange_rates WHERE $1 IS NULL OR to_currency = $1 \
             ORDER BY rate_date DESC, to_currency, from_currency LIMIT $2"
        ))
        .bind(to.as_ref().map(|c| c.as_str().to_owned()))
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(rate_from_row).collect()
    }

    async fn exchange_rates_into(
        &self,
        to: CurrencyCode,
        from: time::Date,
    ) -> StoreResult<Vec<StoredRate>> {
        let rows = sqlx::query(&format!(
            "SELECT {RATE_COLS} FROM exchange_rates WHERE to_currency = $1 AND rate_date >= $2 \
             ORDER BY rate_date, from_currency"
        ))
        .bind(to.as_str())
        .bind(day_text(from))
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(rate_from_row).collect()
    }
}
