//! Units of measure for specific duties: a subset of UN/ECE Recommendation 20 (Rev. 17, 2021)
//! with the conversion factors of its Annex II, so a quantity declared in one unit can be
//! charged under a duty stated in another of the same kind (tonne → kilogram, hectolitre → litre).

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The physical quantity a unit measures; only units of one dimension convert into each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Base unit: kilogram (`KGM`).
    Mass,
    /// Base unit: cubic metre (`MTQ`).
    Volume,
    /// Base unit: joule (`JOU`).
    Energy,
    /// Base unit: one (`C62`).
    Count,
    /// Pairs are counted apart from pieces: a duty "per pair" is not a duty per piece.
    Pairs,
    /// Base unit: square metre (`MTK`).
    Area,
    /// Base unit: metre (`MTR`).
    Length,
    /// Litres of pure alcohol (`LPA`), used by excise on spirits.
    PureAlcohol,
    /// Engine capacity (cylinder volume) of a vehicle, in cm³ (`CMQ`): the EAEU tariff charges
    /// cars per cm³ of engine capacity, which is not the volume of the goods, so it converts to
    /// no other volume.
    EngineCapacity,
}

/// A supported Rec 20 unit: its common code, name, dimension and size in the dimension's base unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Unit {
    code: &'static str,
    name: &'static str,
    dimension: Dimension,
    /// Size of one unit in the base unit of its dimension, as `mantissa * 10^-scale`.
    factor: (i64, u32),
}

/// The units this engine converts between. Conversion factors: UN/ECE Rec 20 Rev. 17 Annex II,
/// column "Conversion Factor" (checked against the published code list in the integration tests).
const UNITS: &[Unit] = &[
    Unit { code: "KGM", name: "kilogram", dimension: Dimension::Mass, factor: (1, 0) },
    Unit { code: "GRM", name: "gram", dimension: Dimension::Mass, factor: (1, 3) },
    Unit { code: "DTN", name: "decitonne", dimension: Dimension::Mass, factor: (100, 0) },
    Unit { code: "TNE", name: "tonne (metric ton)", dimension: Dimension::Mass, factor: (1000, 0) },
    Unit { code: "KTN", name: "kilotonne", dimension: Dimension::Mass, factor: (1_000_000, 0) },
    Unit { code: "MTQ", name: "cubic metre", dimension: Dimension::Volume, factor: (1, 0) },
    Unit { code: "LTR", name: "litre", dimension: Dimension::Volume, factor: (1, 3) },
    Unit { code: "HLT", name: "hectolitre", dimension: Dimension::Volume, factor: (1, 1) },
    Unit {
        code: "R9",
        name: "thousand cubic metre",
        dimension: Dimension::Volume,
        factor: (1000, 0),
    },
    Unit { code: "JOU", name: "joule", dimension: Dimension::Energy, factor: (1, 0) },
    Unit {
        code: "KWH",
        name: "kilowatt hour",
        dimension: Dimension::Energy,
        factor: (3_600_000, 0),
    },
    Unit {
        code: "MWH",
        name: "megawatt hour (1000 kW.h)",
        dimension: Dimension::Energy,
        factor: (3_600_000_000, 0),
    },
    Unit {
        code: "GV",
        name: "gigajoule",
        dimension: Dimension::Energy,
        factor: (1_000_000_000, 0),
    },
    Unit { code: "C62", name: "one", dimension: Dimension::Count, factor: (1, 0) },
    Unit { code: "NAR", name: "number of articles", dimension: Dimension::Count, factor: (1, 0) },
    Unit { code: "DZN", name: "dozen", dimension: Dimension::Count, factor: (12, 0) },
    Unit { code: "MIL", name: "thousand", dimension: Dimension::Count, factor: (1000, 0) },
    Unit { code: "PR", name: "pair", dimension: Dimension::Pairs, factor: (1, 0) },
    Unit { code: "MTK", name: "square metre", dimension: Dimension::Area, factor: (1, 0) },
    Unit { code: "MTR", name: "metre", dimension: Dimension::Length, factor: (1, 0) },
    Unit {
        code: "CMQ",
        name: "cubic centimetre",
        dimension: Dimension::EngineCapacity,
        factor: (1, 0),
    },
    Unit {
        code: "LPA",
        name: "litre of pure alcohol",
        dimension: Dimension::PureAlcohol,
        factor: (1, 0),
    },
];

/// Why a unit code was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown unit {code:?}: expected a UN/ECE Rec 20 common code such as KGM, TNE, LTR, HLT, MTQ, KWH, NAR, PR"
)]
pub struct UnknownUnit {
    /// The offending text.
    pub code: String,
}

impl Unit {
    /// Looks a unit up by its Rec 20 common code (case-insensitive).
    ///
    /// # Errors
    /// [`UnknownUnit`] when the code is not one this engine converts.
    pub fn parse(code: &str) -> Result<Unit, UnknownUnit> {
        let trimmed = code.trim();
        UNITS
            .iter()
            .find(|unit| unit.code.eq_ignore_ascii_case(trimmed))
            .copied()
            .ok_or_else(|| UnknownUnit { code: code.to_owned() })
    }

    /// Every supported unit.
    pub fn all() -> &'static [Unit] {
        UNITS
    }

    /// The Rec 20 common code, e.g. `KGM`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The Rec 20 name, e.g. `kilogram`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The physical quantity measured.
    pub fn dimension(&self) -> Dimension {
        self.dimension
    }

    /// Size of one unit in the base unit of its dimension.
    pub fn factor(&self) -> Decimal {
        Decimal::new(self.factor.0, self.factor.1)
    }

    /// Converts `amount` of `self` into `target`, or `None` when the dimensions differ.
    pub fn convert(&self, amount: Decimal, target: Unit) -> Option<Decimal> {
        if self.dimension != target.dimension {
            return None;
        }
        if self.code == target.code {
            return Some(amount);
        }
        let scaled = amount.checked_mul(self.factor())?;
        if target.factor == (1, 0) { Some(scaled) } else { scaled.checked_div(target.factor()) }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl Serialize for Unit {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code)
    }
}

impl<'de> Deserialize<'de> for Unit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Unit::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// An amount of goods in a unit, e.g. 12.5 KGM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Quantity {
    /// How many units; never negative once checked by the calculation.
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// The unit.
    pub unit: Unit,
}
