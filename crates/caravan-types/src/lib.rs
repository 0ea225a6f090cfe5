//! Shared vocabulary of Caravan: validated codes and money that every crate speaks.
//!
//! Each type can only be built through its `parse` function, so a value of the type is always
//! valid: an `HsCode` has 2, 4, 6, 8 or 10 digits, a `CountryCode` is two upper-case ASCII
//! letters (ISO 3166-1 alpha-2), a `CurrencyCode` three (ISO 4217). This crate does no I/O
//! and knows no code lists: whether `XX` is an assigned country is the reference data's job.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use rust_decimal::Decimal;

/// Why a code did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("{kind} must be {expected}, got {value:?}")]
    Malformed { kind: &'static str, expected: &'static str, value: String },
}

macro_rules! string_code {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $expected:literal, $example:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name([u8; $name::LEN]);

        impl $name {
            const LEN: usize = $expected.len();

            /// Parses the code; surrounding white space is trimmed, letters are upper-cased.
            ///
            /// # Errors
            /// [`CodeError::Malformed`] when the text is not a well-formed code.
            pub fn parse(text: &str) -> Result<Self, CodeError> {
                let trimmed = text.trim();
                let bytes = trimmed.as_bytes();
                let check: fn(u8) -> bool = $check;
                if bytes.len() != Self::LEN || !bytes.iter().all(|b| check(b.to_ascii_uppercase())) {
                    return Err(CodeError::Malformed {
                        kind: $kind,
                        expected: concat!($expected, " (", stringify!($name), ")"),
                        value: text.to_owned(),
                    });
                }
                let mut code = [0u8; Self::LEN];
                for (slot, b) in code.iter_mut().zip(bytes) {
                    *slot = b.to_ascii_uppercase();
                }
                Ok(Self(code))
            }

            /// The code as text.
            pub fn as_str(&self) -> &str {
                std::str::from_utf8(&self.0).expect("only ASCII bytes are ever stored")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = CodeError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                code_schema(concat!($kind, ": ", $expected, " (", stringify!($name), ")"), $example)
            }
        }

        impl utoipa::ToSchema for $name {}

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

string_code!(
    /// ISO 3166-1 alpha-2 country code, e.g. `KZ`.
    CountryCode,
    "country code",
    "AA",
    "KZ",
    |b| b.is_ascii_uppercase()
);

string_code!(
    /// ISO 4217 alphabetic currency code, e.g. `USD`.
    CurrencyCode,
    "currency code",
    "AAA",
    "USD",
    |b| b.is_ascii_uppercase()
);

impl CountryCode {
    /// The six countries of the China–Central Asia mechanism, in ISO order of their names' codes.
    pub const MECHANISM: [&'static str; 6] = ["CN", "KZ", "KG", "TJ", "TM", "UZ"];

    /// Whether this is one of the six countries of the mechanism.
    pub fn is_mechanism_member(&self) -> bool {
        Self::MECHANISM.contains(&self.as_str())
    }
}

/// A Harmonized System code or a national tariff line under it: 2 (chapter), 4 (heading),
/// 6 (subheading), 8 or 10 digits (national lines). Leading zeros are significant.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HsCode {
    digits: [u8; 10],
    len: u8,
}

impl HsCode {
    /// Parses an HS code; dots and spaces inside (`0101.21`, `8544 42`) are ignored.
    ///
    /// # Errors
    /// [`CodeError::Malformed`] unless 2, 4, 6, 8 or 10 digits remain.
    pub fn parse(text: &str) -> Result<Self, CodeError> {
        let malformed = || CodeError::Malformed {
            kind: "HS code",
            expected: "2, 4, 6, 8 or 10 digits",
            value: text.to_owned(),
        };
        let mut digits = [b'0'; 10];
        let mut len = 0usize;
        for b in text.trim().bytes() {
            match b {
                b'0'..=b'9' => {
                    if len == 10 {
                        return Err(malformed());
                    }
                    digits[len] = b;
                    len += 1;
                }
                b'.' | b' ' => {}
                _ => return Err(malformed()),
            }
        }
        if !matches!(len, 2 | 4 | 6 | 8 | 10) {
            return Err(malformed());
        }
        Ok(Self { digits, len: len as u8 })
    }

    /// The digits as text, without separators.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.digits[..self.len as usize])
            .expect("only ASCII digits are stored")
    }

    /// Number of digits: 2, 4, 6, 8 or 10.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Always false: an HS code has at least two digits. Present for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The chapter (first two digits).
    pub fn chapter(&self) -> HsCode {
        self.truncate(2)
    }

    /// The code cut to `n_digits` (2, 4, 6 or 8), or `self` when it is not longer.
    pub fn truncate(&self, n_digits: usize) -> HsCode {
        let n = n_digits.min(self.len as usize);
        let n = n - n % 2;
        let n = n.max(2);
        let mut digits = [b'0'; 10];
        digits[..n].copy_from_slice(&self.digits[..n]);
        HsCode { digits, len: n as u8 }
    }

    /// The code one level up (10 → 8 → 6 → 4 → 2), `None` for a chapter.
    pub fn parent(&self) -> Option<HsCode> {
        (self.len > 2).then(|| self.truncate(self.len as usize - 2))
    }

    /// Whether `self` is `other` or lies under it (`010121` is under `0101` and `01`).
    pub fn is_within(&self, other: &HsCode) -> bool {
        self.len >= other.len
            && self.digits[..other.len as usize] == other.digits[..other.len as usize]
    }
}

impl fmt::Display for HsCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for HsCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HsCode({})", self.as_str())
    }
}

impl FromStr for HsCode {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl utoipa::PartialSchema for HsCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        code_schema("HS code: 2, 4, 6, 8 or 10 digits; dots and spaces are ignored", "740311")
    }
}

impl utoipa::ToSchema for HsCode {}

/// OpenAPI schema of a code: a string with a description and an example.
fn code_schema(
    description: &str,
    example: &str,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .description(Some(description))
        .examples([serde_json::Value::String(example.to_owned())])
        .into()
}

impl Serialize for HsCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for HsCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// An amount of money: a decimal amount in a currency. Never a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Money {
    #[schema(value_type = String, example = "1234.50")]
    pub amount: Decimal,
    pub currency: CurrencyCode,
}

impl Money {
    pub fn new(amount: Decimal, currency: CurrencyCode) -> Self {
        Self { amount, currency }
    }

    /// Rounds to `minor_units` decimal places (ISO 4217 minor unit of the currency),
    /// half away from zero, as customs administrations round duty amounts.
    pub fn round_to_minor_units(&self, minor_units: u32) -> Money {
        let amount = self.amount.round_dp_with_strategy(
            minor_units,
            rust_decimal::RoundingStrategy::MidpointAwayFromZero,
        );
        Money { amount, currency: self.currency }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

#[cfg(test)]
mod tests;
