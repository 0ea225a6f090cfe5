//! Rules-of-origin engine of Caravan: does a product qualify as originating under an agreement?
//!
//! Rules are data ([`Rule`], grouped per HS range in a [`RuleBook`]); [`parse_rule_book`] reads our
//! own format and [`parse_uk_rule_sets`] the UK Online Trade Tariff's open rule sets, classifying
//! each published text and marking those it cannot classify. [`assess`] applies a book to a
//! product and its bill of materials and explains every step; [`render_html`] prints it.
//! This crate does no I/O: callers read the files and pass the text.

mod assess;
mod html;
mod native;
mod rule;
mod uk;

pub use assess::{
    AssessError, AssessOptions, Material, Product, RuleSetUsed, Totals, Verdict, assess,
};
pub use html::render_html;
pub use native::{FORMAT, NativeRulesError, parse_rule_book};
pub use rule::{CtcLevel, Rule, RuleBook, RuleSet, RvcMethod, ten_digit};
pub use uk::{UkRulesError, classify, normalise, parse_uk_rule_sets};

#[cfg(test)]
mod tests;
