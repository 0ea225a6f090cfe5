//! Official exchange rates as people hand them in: CSV with the header
//! `date,from,to,rate,source` (e.g. `2026-03-01,EUR,KZT,545.12,National Bank of Kazakhstan`),
//! the same text for `caravan tariff calculate --rates` and the calculator page.

use caravan_types::CurrencyCode;
use rust_decimal::Decimal;
use time::Date;

use crate::{ExchangeRate, RateRow};

/// The columns of a rates file, in order.
pub const RATES_HEADER: [&str; 5] = ["date", "from", "to", "rate", "source"];

/// Why a rates text could not be read: the line (1 is the header) and column, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RatesCsvError {
    /// The first line is not `date,from,to,rate,source`.
    #[error("the header must be `date,from,to,rate,source`, got `{0}`")]
    Header(String),
    /// A cell that cannot be read.
    #[error("line {line}, column {column}: {reason}")]
    Cell {
        /// Line number, the header being line 1.
        line: u64,
        /// The column's name (`date`, `from`, …), or `row` for a row that is not CSV.
        column: &'static str,
        /// What is wrong and what to write instead.
        reason: String,
    },
}

/// Reads rates CSV text into rate rows, trimming blanks around cells.
///
/// # Errors
/// [`RatesCsvError`] naming the line and column of the first cell that cannot be read.
pub fn parse_rates_csv(text: &str) -> Result<Vec<RateRow>, RatesCsvError> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|err| RatesCsvError::Header(err.to_string()))?.clone();
    if headers.iter().collect::<Vec<_>>() != RATES_HEADER {
        return Err(RatesCsvError::Header(headers.iter().collect::<Vec<_>>().join(",")));
    }
    let mut rows = Vec::new();
    for (idx, record) in reader.records().enumerate() {
        let line = idx as u64 + 2;
        let at =
            |column: &'static str, reason: String| RatesCsvError::Cell { line, column, reason };
        let record = record.map_err(|err| at("row", err.to_string()))?;
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let date = Date::parse(&record[0], format).map_err(|err| {
            at("date", format!("expected YYYY-MM-DD, got {:?} ({err})", &record[0]))
        })?;
        let from = CurrencyCode::parse(&record[1]).map_err(|err| at("from", err.to_string()))?;
        let to = CurrencyCode::parse(&record[2]).map_err(|err| at("to", err.to_string()))?;
        let rate: Decimal = record[3]
            .parse()
            .map_err(|_| at("rate", format!("{:?} is not a decimal number", &record[3])))?;
        if rate <= Decimal::ZERO {
            return Err(at("rate", format!("must be positive, got {rate}")));
        }
        if record[4].is_empty() {
            return Err(at("source", "name who published the rate".to_owned()));
        }
        rows.push(RateRow {
            to,
            rate: ExchangeRate {
                currency: from,
                rate,
                valid_from: date,
                source: record[4].to_owned(),
            },
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_read_and_every_bad_cell_is_named() {
        let rows = parse_rates_csv(
            "date,from,to,rate,source\n2026-03-01, EUR ,KZT,545.12,National Bank of Kazakhstan\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].to.as_str(), "KZT");
        assert_eq!(rows[0].rate.currency.as_str(), "EUR");
        assert_eq!(rows[0].rate.rate, Decimal::new(54512, 2));
        assert_eq!(rows[0].rate.source, "National Bank of Kazakhstan");
        let err = |text: &str| parse_rates_csv(text).unwrap_err().to_string();
        assert!(err("day,from,to,rate,source\n").contains("date,from,to,rate,source"));
        let head = "date,from,to,rate,source\n";
        assert!(
            err(&format!("{head}2026-13-01,EUR,KZT,1,NBK\n")).starts_with("line 2, column date")
        );
        assert!(
            err(&format!("{head}2026-03-01,EU,KZT,1,NBK\n")).starts_with("line 2, column from")
        );
        assert!(err(&format!("{head}2026-03-01,EUR,KZT,0,NBK\n")).contains("must be positive"));
        assert!(
            err(&format!("{head}2026-03-01,EUR,KZT,x,NBK\n")).starts_with("line 2, column rate")
        );
        assert!(
            err(&format!("{head}2026-03-01,EUR,KZT,1,\n")).starts_with("line 2, column source")
        );
        assert!(err(&format!("{head}2026-03-01,EUR\n")).starts_with("line 2, column row"));
        assert!(parse_rates_csv(head).unwrap().is_empty());
    }
}
