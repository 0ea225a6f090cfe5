//! Applying a rule book to a product and its bill of materials: qualifies yes/no, the rule applied
//! and a step-by-step explanation.
//!
//! Definitions (as in the UK DCTS / EU GSP origin rules and the WCO's comparative study):
//! - a material is originating when its origin is the exporter's country or a cumulation partner's
//!   (bilateral / diagonal cumulation); a bill-of-materials line is taken at the trader's word,
//!   including for "wholly obtained";
//! - non-originating content share = value of non-originating materials / price (ex-works or FOB);
//! - RVC build-up = value of originating materials / price; build-down = (price − value of
//!   non-originating materials) / price;
//! - change of tariff classification: every non-originating material is classified, at the rule's
//!   level, outside the product's position; materials failing it may still be used within the
//!   general tolerance (a share of the price), when the rule book has one.

use caravan_types::{CountryCode, Decimal, HsCode};
use serde::Serialize;

use crate::rule::{Rule, RuleBook, RvcMethod};

/// The product whose origin is assessed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// HS code of the product.
    pub hs_code: HsCode,
    /// Country where the last production took place.
    pub exporter: CountryCode,
    /// Ex-works (or FOB) price.
    pub price: Decimal,
}

/// One input of the bill of materials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Material {
    /// HS code of the input.
    pub hs_code: HsCode,
    /// Its origin.
    pub origin: CountryCode,
    /// Its value (customs value or price paid), in the price's currency.
    pub value: Decimal,
    /// Optional description.
    pub description: Option<String>,
}

/// What the producer declares beyond the bill of materials.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssessOptions {
    /// Specific processes carried out, in the words of the rule (case and final full stop ignored).
    pub declared_processes: Vec<String>,
    /// Cumulation partners to add to the rule book's.
    pub cumulation: Vec<CountryCode>,
    /// General tolerance to use instead of the rule book's.
    pub tolerance_percent: Option<Decimal>,
}

/// Why an assessment was refused. [`AssessError::field`] names the input at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssessError {
    #[error("price must be positive, got {0}")]
    NonPositivePrice(Decimal),
    #[error("bom[{index}].value must not be negative, got {value}")]
    NegativeValue { index: usize, value: Decimal },
    #[error("bom: total value of the materials {total} exceeds the product price {price}")]
    BomExceedsPrice { total: Decimal, price: Decimal },
    #[error("product: no rule of origin for {code} in {agreement}")]
    NoRule { code: HsCode, agreement: String },
    #[error("{field}: {value} is too large (at most 10^18)")]
    TooLarge { field: String, value: Decimal },
}

impl AssessError {
    /// The input field at fault: `price`, `bom[3].value`, `bom` or `product`.
    pub fn field(&self) -> String {
        match self {
            AssessError::NonPositivePrice(_) => "price".to_owned(),
            AssessError::NegativeValue { index, .. } => format!("bom[{index}].value"),
            AssessError::BomExceedsPrice { .. } => "bom".to_owned(),
            AssessError::NoRule { .. } => "product".to_owned(),
            AssessError::TooLarge { field, .. } => field.clone(),
        }
    }
}

/// The rule set used, as published.
#[derive(Debug, Clone, Serialize)]
pub struct RuleSetUsed<'r> {
    /// Heading label.
    pub heading: &'r str,
    /// Goods description.
    pub subdivision: Option<&'r str>,
    /// Range covered, 10-digit.
    pub range: String,
    /// The rule's class.
    pub class: String,
    /// The rule texts (alternatives).
    pub rules: &'r [String],
}

/// Value totals of the bill of materials.
#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    /// Inputs.
    pub n_inputs: usize,
    /// Value of originating inputs.
    #[serde(with = "rust_decimal::serde::str")]
    pub originating_value: Decimal,
    /// Value of non-originating inputs.
    #[serde(with = "rust_decimal::serde::str")]
    pub non_originating_value: Decimal,
    /// Non-originating value as a percentage of the price, 2 decimals.
    #[serde(with = "rust_decimal::serde::str")]
    pub non_originating_percent: Decimal,
}

/// The verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict<'r> {
    /// True when the rule book is an illustrative sample.
    pub illustrative: bool,
    /// Notice of the rule book.
    pub notice: Option<&'r str>,
    /// Agreement or scheme.
    pub agreement: &'r str,
    /// Product code.
    pub product: HsCode,
    /// Exporting country.
    pub exporter: CountryCode,
    /// Price.
    #[serde(with = "rust_decimal::serde::str")]
    pub price: Decimal,
    /// Whether the product qualifies as originating.
    pub qualifies: bool,
    /// The rule met (its published text), or `None` when none was.
    pub rule_applied: Option<String>,
    /// The rule sets considered.
    pub rule_sets: Vec<RuleSetUsed<'r>>,
    /// Value totals.
    pub materials: Totals,
    /// Countries whose materials counted as originating.
    pub originating_countries: Vec<CountryCode>,
    /// Step-by-step explanation.
    pub steps: Vec<String>,
    /// Rule texts the engine could not classify (assess them by hand).
    pub unclassified: Vec<String>,
}

struct Context<'a> {
    product: &'a Product,
    bom: &'a [Material],
    originating: Vec<bool>,
    originating_value: Decimal,
    non_originating_value: Decimal,
    tolerance: Option<Decimal>,
    processes: &'a [String],
}

fn percent_of(value: Decimal, price: Decimal) -> Decimal {
    (value * Decimal::ONE_HUNDRED / price).round_dp(2)
}

fn material_label(idx: usize, material: &Material) -> String {
    match &material.description {
        Some(description) => format!(
            "bom[{idx}] {} \"{description}\" from {}, value {}",
            material.hs_code, material.origin, material.value
        ),
        None => format!(
            "bom[{idx}] {} from {}, value {}",
            material.hs_code, material.origin, material.value
        ),
    }
}

fn normalised_process(text: &str) -> String {
    text.trim().trim_end_matches('.').to_lowercase()
}

impl Context<'_> {
    fn non_originating(&self) -> impl Iterator<Item = (usize, &Material)> {
        self.bom.iter().enumerate().filter(|(idx, _)| !self.originating[*idx])
    }

    fn eval(&self, rule: &Rule, steps: &mut Vec<String>, depth: usize) -> bool {
        let pad = "  ".repeat(depth);
        let price = self.product.price;
        match rule {
            Rule::WhollyObtained { chapters } => {
                let failing: Vec<String> = self
                    .non_originating()
                    .filter(|(_, m)| {
                        chapters.is_empty() || chapters.iter().any(|ch| m.hs_code.is_within(ch))
                    })
                    .map(|(idx, m)| material_label(idx, m))
                    .collect();
                let scope = if chapters.is_empty() {
                    "every material".to_owned()
                } else {
                    format!(
                        "every material of chapter {}",
                        chapters.iter().map(HsCode::as_str).collect::<Vec<_>>().join(", ")
                    )
                };
                if failing.is_empty() {
                    steps.push(format!("{pad}wholly obtained: {scope} is originating (taken as wholly obtained on the producer's declaration): met"));
                    true
                } else {
                    steps.push(format!("{pad}wholly obtained: {scope} must be wholly obtained, but not originating: {}: not met", failing.join("; ")));
                    false
                }
            }
            Rule::Ctc { level, except, same_position_allowance_percent } => {
                let digits = level.digits();
                let position = self.product.hs_code.truncate(digits);
                let mut same_value = Decimal::ZERO;
                let mut same = Vec::new();
                let mut excluded_value = Decimal::ZERO;
                let mut excluded = Vec::new();
                for (idx, material) in self.non_originating() {
                    if material.hs_code.len() < digits
                        || material.hs_code.truncate(digits) == position
                    {
                        same_value += material.value;
                        same.push(material_label(idx, material));
                    } else if except.iter().any(|code| material.hs_code.is_within(code)) {
                        excluded_value += material.value;
                        excluded.push(material_label(idx, material));
                    }
                }
                let name = format!(
                    "{} (change of {})",
                    level.abbreviation(),
                    match level {
                        crate::rule::CtcLevel::Chapter => "chapter",
                        crate::rule::CtcLevel::Heading => "tariff heading",
                        crate::rule::CtcLevel::Subheading => "tariff subheading",
                    }
                );
                if same.is_empty() && excluded.is_empty() {
                    steps.push(format!("{pad}{name}: every non-originating material is classified outside {position} of the product: met"));
                    return true;
                }
                if !same.is_empty() {
                    steps.push(format!(
                        "{pad}{name}: non-originating materials not classified outside {position} (a material given with fewer than {digits} digits counts as not changing): {}",
                        same.join("; ")
                    ));
                }
                if !excluded.is_empty() {
                    steps.push(format!(
                        "{pad}{name}: non-originating materials of excluded codes: {}",
                        excluded.join("; ")
                    ));
                }
                if let Some(allowance) = same_position_allowance_percent {
                    let share = percent_of(same_value, price);
                    if excluded.is_empty() && share <= *allowance {
                        steps.push(format!("{pad}materials of the product's own heading total {share}% of the price, within the rule's allowance of {allowance}%: met"));
                        return true;
                    }
                    steps.push(format!("{pad}materials of the product's own heading total {share}% of the price; the rule allows {allowance}%"));
                }
                self.tolerance_step(same_value + excluded_value, steps, &pad)
            }
            Rule::ExcludedMaterials { codes } => {
                let mut value = Decimal::ZERO;
                let failing: Vec<String> = self
                    .non_originating()
                    .filter(|(_, m)| codes.iter().any(|code| m.hs_code.is_within(code)))
                    .map(|(idx, m)| {
                        value += m.value;
                        material_label(idx, m)
                    })
                    .collect();
                let list = codes.iter().map(HsCode::as_str).collect::<Vec<_>>().join(", ");
                if failing.is_empty() {
                    steps.push(format!("{pad}no non-originating material of {list} is used: met"));
                    true
                } else {
                    steps.push(format!(
                        "{pad}non-originating materials of {list} may not be used: {}",
                        failing.join("; ")
                    ));
                    self.tolerance_step(value, steps, &pad)
                }
            }
            Rule::AnyHeading => {
                steps.push(format!("{pad}production from materials of any heading: no classification condition (the operations must go beyond insufficient processing, on the producer's declaration): met"));
                true
            }
            Rule::MaxNonOriginating { percent } => {
                let share = percent_of(self.non_originating_value, price);
                let met = self.non_originating_value * Decimal::ONE_HUNDRED <= *percent * price;
                steps.push(format!(
                    "{pad}MaxNOM: non-originating materials {} = {share}% of the price {price}; maximum {percent}%: {}",
                    self.non_originating_value,
                    if met { "met" } else { "not met" }
                ));
                met
            }
            Rule::Rvc { percent, method } => {
                let build_up = percent_of(self.originating_value, price);
                let build_down = percent_of(price - self.non_originating_value, price);
                let (value, how) = match method {
                    RvcMethod::BuildUp => (
                        self.originating_value,
                        format!(
                            "build-up: originating {} / price {price} = {build_up}%",
                            self.originating_value
                        ),
                    ),
                    RvcMethod::BuildDown => (
                        price - self.non_originating_value,
                        format!(
                            "build-down: (price {price} − non-originating {}) / price = {build_down}%",
                            self.non_originating_value
                        ),
                    ),
                    RvcMethod::Either => (
                        self.originating_value.max(price - self.non_originating_value),
                        format!(
                            "build-up {build_up}%, build-down {build_down}%, the higher counts"
                        ),
                    ),
                };
                let met = value * Decimal::ONE_HUNDRED >= *percent * price;
                steps.push(format!(
                    "{pad}RVC {how}; minimum {percent}%: {}",
                    if met { "met" } else { "not met" }
                ));
                met
            }
            Rule::SpecificProcess { process } => {
                let wanted = normalised_process(process);
                let met = self.processes.iter().any(|p| normalised_process(p) == wanted);
                steps.push(format!(
                    "{pad}specific process \"{process}\": {}",
                    if met {
                        "declared by the producer: met"
                    } else {
                        "not declared by the producer (a bill of materials cannot show it): not met"
                    }
                ));
                met
            }
            Rule::All(parts) => {
                steps.push(format!("{pad}all of the following must be met:"));
                let mut met = true;
                for part in parts {
                    met &= self.eval(part, steps, depth + 1);
                }
                met
            }
            Rule::Any(parts) => {
                steps.push(format!("{pad}any one of the following alternatives suffices:"));
                let mut met = false;
                for part in parts {
                    met |= self.eval(part, steps, depth + 1);
                }
                met
            }
            Rule::Unclassified { text } => {
                steps.push(format!("{pad}unclassified rule: \"{text}\" — the engine cannot assess it; check by hand: not met"));
                false
            }
        }
    }

    fn tolerance_step(&self, failing_value: Decimal, steps: &mut Vec<String>, pad: &str) -> bool {
        let share = percent_of(failing_value, self.product.price);
        match self.tolerance {
            Some(tolerance)
                if failing_value * Decimal::ONE_HUNDRED <= tolerance * self.product.price =>
            {
                steps.push(format!("{pad}failing materials total {failing_value} = {share}% of the price, within the general tolerance of {tolerance}%: met"));
                true
            }
            Some(tolerance) => {
                steps.push(format!("{pad}failing materials total {failing_value} = {share}% of the price, above the general tolerance of {tolerance}%: not met"));
                false
            }
            None => {
                steps.push(format!("{pad}failing materials total {failing_value} = {share}% of the price; no general tolerance applies: not met"));
                false
            }
        }
    }
}

fn collect_unclassified(rule: &Rule, out: &mut Vec<String>) {
    match rule {
        Rule::Unclassified { text } => out.push(format!("unclassified rule: {text}")),
        Rule::All(parts) | Rule::Any(parts) => {
            parts.iter().for_each(|part| collect_unclassified(part, out))
        }
        _ => {}
    }
}

/// Assesses whether `product`, made from `bom`, originates under `book`.
///
/// # Errors
/// [`AssessError`] when the price is not positive, a material value is negative, the materials
/// are worth more than the product, or the book has no rule for the product.
pub fn assess<'r>(
    book: &'r RuleBook,
    product: &Product,
    bom: &[Material],
    options: &AssessOptions,
) -> Result<Verdict<'r>, AssessError> {
    if product.price <= Decimal::ZERO {
        return Err(AssessError::NonPositivePrice(product.price));
    }
    // Bounding the inputs keeps every sum and percentage far from Decimal's limit (about 7.9e28).
    let max_input = Decimal::from(1_000_000_000_000_000_000u64);
    if product.price > max_input {
        return Err(AssessError::TooLarge { field: "price".to_owned(), value: product.price });
    }
    let mut total = Decimal::ZERO;
    for (index, material) in bom.iter().enumerate() {
        if material.value.is_sign_negative() {
            return Err(AssessError::NegativeValue { index, value: material.value });
        }
        if material.value > max_input {
            return Err(AssessError::TooLarge {
                field: format!("bom[{index}].value"),
                value: material.value,
            });
        }
        total += material.value;
        // A bill of materials worth more than the price is refused below; stop before the sum can grow.
        if total > product.price {
            return Err(AssessError::BomExceedsPrice { total, price: product.price });
        }
    }
    if total > product.price {
        return Err(AssessError::BomExceedsPrice { total, price: product.price });
    }
    let rule_sets = book.rule_sets_for(&product.hs_code);
    if rule_sets.is_empty() {
        return Err(AssessError::NoRule {
            code: product.hs_code,
            agreement: book.agreement.clone(),
        });
    }
    let mut originating_countries = vec![product.exporter];
    for country in book.cumulation.iter().chain(&options.cumulation) {
        if !originating_countries.contains(country) {
            originating_countries.push(*country);
        }
    }
    let originating: Vec<bool> =
        bom.iter().map(|m| originating_countries.contains(&m.origin)).collect();
    let originating_value: Decimal =
        bom.iter().zip(&originating).filter(|(_, o)| **o).map(|(m, _)| m.value).sum();
    let non_originating_value = total - originating_value;
    let ctx = Context {
        product,
        bom,
        originating,
        originating_value,
        non_originating_value,
        tolerance: options.tolerance_percent.or(book.tolerance_percent),
        processes: &options.declared_processes,
    };
    let mut steps = Vec::with_capacity(8);
    steps.push(format!(
        "product {} exported from {} at price {}; agreement: {}",
        product.hs_code, product.exporter, product.price, book.agreement
    ));
    let mut exporter_is_party = true;
    if !book.parties.is_empty() && !book.parties.contains(&product.exporter) {
        exporter_is_party = false;
        steps.push(format!(
            "the exporter {} is not a party ({}): the goods cannot originate under this agreement",
            product.exporter,
            book.parties.iter().map(CountryCode::as_str).collect::<Vec<_>>().join(", ")
        ));
    }
    let partners: Vec<&str> = originating_countries[1..].iter().map(CountryCode::as_str).collect();
    steps.push(format!(
        "bill of materials: {} inputs worth {total}; originating (from {}{}) {originating_value}; non-originating {non_originating_value} = {}% of the price",
        bom.len(),
        product.exporter,
        if partners.is_empty() { String::new() } else { format!(" or, by cumulation, {}", partners.join(", ")) },
        percent_of(non_originating_value, product.price),
    ));
    if rule_sets.len() > 1 {
        steps.push(format!(
            "{} rule sets cover {} and are told apart by their description only; the verdict is conservative: the product qualifies only if it meets every one",
            rule_sets.len(),
            product.hs_code
        ));
    }
    let mut qualifies = exporter_is_party;
    let mut rule_applied: Option<String> = None;
    let mut unclassified = Vec::new();
    let mut used = Vec::with_capacity(rule_sets.len());
    for set in &rule_sets {
        let class = set.rule.label();
        steps.push(format!(
            "rule set {}{} (codes {:010}–{:010}): {}",
            set.heading,
            set.subdivision.as_deref().map(|s| format!(" \"{s}\"")).unwrap_or_default(),
            set.min,
            set.max,
            class
        ));
        // The alternatives of a rule set are evaluated here, not in `eval`, to know which one
        // was met first without evaluating twice.
        let met = match &set.rule {
            Rule::Any(parts) if parts.len() == set.texts.len() => {
                steps.push("  any one of the following alternatives suffices:".to_owned());
                let mut first_met = None;
                for (idx, part) in parts.iter().enumerate() {
                    if ctx.eval(part, &mut steps, 2) && first_met.is_none() {
                        first_met = Some(idx);
                    }
                }
                if let Some(idx) = first_met {
                    rule_applied.get_or_insert_with(|| {
                        format!("{}: {}", parts[idx].label(), set.texts[idx])
                    });
                }
                first_met.is_some()
            }
            rule => {
                let met = ctx.eval(rule, &mut steps, 1);
                if met {
                    rule_applied.get_or_insert_with(|| {
                        format!("{}: {}", rule.label(), set.texts.join(" / "))
                    });
                }
                met
            }
        };
        qualifies &= met;
        collect_unclassified(&set.rule, &mut unclassified);
        used.push(RuleSetUsed {
            heading: &set.heading,
            subdivision: set.subdivision.as_deref(),
            range: format!("{:010}-{:010}", set.min, set.max),
            class,
            rules: &set.texts,
        });
    }
    if !qualifies {
        rule_applied = None;
    }
    steps.push(if qualifies {
        format!(
            "verdict: the product qualifies as originating in {} under {}",
            product.exporter, book.agreement
        )
    } else {
        format!(
            "verdict: the product does not qualify as originating in {} under {}",
            product.exporter, book.agreement
        )
    });
    Ok(Verdict {
        illustrative: book.illustrative,
        notice: book.notice.as_deref(),
        agreement: &book.agreement,
        product: product.hs_code,
        exporter: product.exporter,
        price: product.price,
        qualifies,
        rule_applied,
        rule_sets: used,
        materials: Totals {
            n_inputs: bom.len(),
            originating_value,
            non_originating_value,
            non_originating_percent: percent_of(non_originating_value, product.price),
        },
        originating_countries,
        steps,
        unclassified,
    })
}
