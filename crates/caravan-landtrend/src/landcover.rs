//! Land cover sub-indicator: the seven UNCCD classes, the ESA CCI legend mapping and the
//! transition matrix (GPG v2 §5.2; UNCCD default matrix, GPG v2 Table 7).

use crate::Class;

/// Names of the seven UNCCD land cover classes, code 1..=7 (GPG v2 §5.1).
pub const UNCCD_CLASS_NAMES: [&str; 7] =
    ["Tree-covered", "Grassland", "Cropland", "Wetland", "Artificial", "Other land", "Water body"];

/// The UNCCD water body class, excluded from land area (GPG v2 §2, "total land area").
pub const WATER: u8 = 7;

/// A 7×7 land cover transition matrix: `m[from-1][to-1]` is −1 (degradation), 0 (stable) or
/// 1 (improvement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionMatrix(pub [[i8; 7]; 7]);

impl Default for TransitionMatrix {
    /// The UNCCD default matrix (GPG v2 Table 7; `lc_transition_matrix_unccd_default.csv`).
    fn default() -> Self {
        Self([
            [0, -1, -1, -1, -1, -1, 0],
            [1, 0, 1, -1, -1, -1, 0],
            [1, -1, 0, -1, -1, -1, 0],
            [-1, -1, -1, 0, -1, -1, 0],
            [1, 1, 1, 1, 0, 1, 0],
            [1, 1, 1, 1, -1, 0, 0],
            [0, 0, 0, 0, 0, 0, 0],
        ])
    }
}

impl TransitionMatrix {
    /// The class of the transition `from` → `to` (UNCCD codes 1..=7); `None` outside 1..=7.
    pub fn classify(&self, from: u8, to: u8) -> Option<Class> {
        let row = self.0.get(usize::from(from).checked_sub(1)?)?;
        let cell = *row.get(usize::from(to).checked_sub(1)?)?;
        Some(Class::from_sign(cell))
    }
}

/// How land cover codes in the input are to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Legend {
    /// Codes are already UNCCD 1..=7.
    #[default]
    Unccd,
    /// Codes are ESA CCI LC classes, nested into UNCCD by [`esa_cci_to_unccd`].
    EsaCci,
}

impl Legend {
    /// The UNCCD class of an input code, `None` for no data or an unknown code.
    pub fn to_unccd(self, code: i64) -> Option<u8> {
        match self {
            Legend::Unccd => u8::try_from(code).ok().filter(|c| (1..=7).contains(c)),
            Legend::EsaCci => esa_cci_to_unccd(code),
        }
    }
}

/// ESA CCI land cover class → UNCCD class, per the UNCCD/Trends.Earth nesting
/// (`esa_cci_to_unccd7.csv`). Unknown codes (incl. 0 "no data") give `None`.
pub fn esa_cci_to_unccd(code: i64) -> Option<u8> {
    Some(match code {
        10 | 11 | 12 | 20 | 30 | 40 => 3,
        50 | 60 | 61 | 62 | 70 | 71 | 72 | 80 | 81 | 82 | 90 | 100 => 1,
        110 | 120 | 121 | 122 | 130 | 140 | 150 | 151 | 152 | 153 => 2,
        160 | 170 | 180 => 4,
        190 => 5,
        200 | 201 | 202 | 220 => 6,
        210 => 7,
        _ => return None,
    })
}
