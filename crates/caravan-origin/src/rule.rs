//! Rules of origin as data: the rule tree a product-specific rule is made of, and the rule book
//! (one agreement or scheme) that maps HS ranges to rules.

use std::fmt;

use caravan_types::{CountryCode, Decimal, HsCode};
use serde::{Deserialize, Serialize};

/// The level a change of tariff classification is required at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CtcLevel {
    /// CC: change of chapter (2 digits).
    Chapter,
    /// CTH: change of tariff heading (4 digits).
    Heading,
    /// CTSH: change of tariff subheading (6 digits).
    Subheading,
}

impl CtcLevel {
    /// Number of HS digits compared.
    pub fn digits(self) -> usize {
        match self {
            CtcLevel::Chapter => 2,
            CtcLevel::Heading => 4,
            CtcLevel::Subheading => 6,
        }
    }

    /// The usual abbreviation: CC, CTH, CTSH.
    pub fn abbreviation(self) -> &'static str {
        match self {
            CtcLevel::Chapter => "CC",
            CtcLevel::Heading => "CTH",
            CtcLevel::Subheading => "CTSH",
        }
    }
}

/// How regional value content is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RvcMethod {
    /// RVC = value of originating materials / price (build-up).
    BuildUp,
    /// RVC = (price − value of non-originating materials) / price (build-down).
    BuildDown,
    /// Either method may be used: the higher result counts.
    Either,
}

/// A rule of origin.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Wholly obtained: every material (of the listed chapters, or all when empty) originates.
    WhollyObtained {
        /// Chapters whose materials must be wholly obtained; empty means all materials.
        #[serde(default)]
        chapters: Vec<HsCode>,
    },
    /// Change of tariff classification of every non-originating material.
    Ctc {
        /// Level of the change.
        level: CtcLevel,
        /// Codes whose non-originating materials may not be used even if they change classification.
        #[serde(default)]
        except: Vec<HsCode>,
        /// Non-originating materials of the product's own heading/subheading/chapter may still be
        /// used up to this share of the price (the "However, materials of the same heading ..." form).
        #[serde(default, with = "rust_decimal::serde::str_option")]
        same_position_allowance_percent: Option<Decimal>,
    },
    /// Non-originating materials of the listed codes may not be used (the "any heading, except
    /// those of heading ..." form).
    ExcludedMaterials {
        /// The excluded codes.
        codes: Vec<HsCode>,
    },
    /// Production from materials of any heading: no classification requirement.
    AnyHeading,
    /// Value of non-originating materials at most `percent` of the price (MaxNOM).
    MaxNonOriginating {
        /// The ceiling.
        #[serde(with = "rust_decimal::serde::str")]
        percent: Decimal,
    },
    /// Regional value content at least `percent` of the price.
    Rvc {
        /// The floor.
        #[serde(with = "rust_decimal::serde::str")]
        percent: Decimal,
        /// The method.
        method: RvcMethod,
    },
    /// A specific manufacturing or processing operation must be carried out; the producer
    /// declares it (a bill of materials cannot show it).
    SpecificProcess {
        /// The operation, as the rule states it.
        process: String,
    },
    /// Every part must be met.
    All(Vec<Rule>),
    /// At least one alternative must be met.
    Any(Vec<Rule>),
    /// A rule text the engine could not classify: never met, reported as such.
    Unclassified {
        /// The rule text.
        text: String,
    },
}

impl Rule {
    /// A short label of the rule's class, e.g. `CTH`, `MaxNOM 50%`, `any of (...)`.
    pub fn label(&self) -> String {
        match self {
            Rule::WhollyObtained { .. } => "WO".to_owned(),
            Rule::Ctc { level, same_position_allowance_percent: None, except }
                if except.is_empty() =>
            {
                level.abbreviation().to_owned()
            }
            Rule::Ctc { level, .. } => format!("{} (with conditions)", level.abbreviation()),
            Rule::ExcludedMaterials { .. } => "any heading except listed".to_owned(),
            Rule::AnyHeading => "any heading".to_owned(),
            Rule::MaxNonOriginating { percent } => format!("MaxNOM {percent}%"),
            Rule::Rvc { percent, .. } => format!("RVC {percent}%"),
            Rule::SpecificProcess { .. } => "specific process".to_owned(),
            Rule::All(parts) => {
                format!("all of ({})", parts.iter().map(Rule::label).collect::<Vec<_>>().join(", "))
            }
            Rule::Any(parts) => {
                format!("any of ({})", parts.iter().map(Rule::label).collect::<Vec<_>>().join(", "))
            }
            Rule::Unclassified { .. } => "unclassified".to_owned(),
        }
    }

    /// Whether any part of the rule is unclassified.
    pub fn has_unclassified(&self) -> bool {
        match self {
            Rule::Unclassified { .. } => true,
            Rule::All(parts) | Rule::Any(parts) => parts.iter().any(Rule::has_unclassified),
            _ => false,
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// The product-specific rule for a range of HS codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleSet {
    /// Heading label as published (e.g. `ex Chapter 7`, `5101-5105`).
    pub heading: String,
    /// Description of the goods covered.
    pub subdivision: Option<String>,
    /// Lowest 10-digit code covered.
    pub min: u64,
    /// Highest 10-digit code covered.
    pub max: u64,
    /// The rule; alternatives of the published list are an [`Rule::Any`].
    pub rule: Rule,
    /// The rule texts as published, one per alternative.
    pub texts: Vec<String>,
}

/// One agreement's or scheme's rules of origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleBook {
    /// Name of the agreement or scheme.
    pub agreement: String,
    /// Whether the rules are an illustrative sample.
    pub illustrative: bool,
    /// Notice shown with every verdict.
    pub notice: Option<String>,
    /// Parties whose exporters may claim origin; empty when the rule book does not say.
    pub parties: Vec<CountryCode>,
    /// Countries whose materials count as originating (cumulation), besides the exporter's.
    pub cumulation: Vec<CountryCode>,
    /// General tolerance: non-originating materials that fail a classification rule may be used
    /// up to this share of the price.
    pub tolerance_percent: Option<Decimal>,
    /// Product-specific rules.
    pub rule_sets: Vec<RuleSet>,
}

/// Pads an HS code with zeros to ten digits, as the UK rule sets' `min`/`max`.
pub fn ten_digit(code: &HsCode) -> u64 {
    let mut value: u64 = 0;
    for b in code.as_str().bytes() {
        value = value * 10 + u64::from(b - b'0');
    }
    for _ in code.len()..10 {
        value *= 10;
    }
    value
}

impl RuleBook {
    /// The rule sets for `code`: those with the narrowest range containing it (several when the
    /// published list tells goods apart by their description only).
    pub fn rule_sets_for(&self, code: &HsCode) -> Vec<&RuleSet> {
        let value = ten_digit(code);
        let covering = self.rule_sets.iter().filter(|set| set.min <= value && value <= set.max);
        let Some(width) = covering.clone().map(|set| set.max - set.min).min() else {
            return Vec::new();
        };
        covering.filter(|set| set.max - set.min == width).collect()
    }
}
