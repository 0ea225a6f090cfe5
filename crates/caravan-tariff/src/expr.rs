//! Duty expressions: the amount a measure charges, written as text in the schedule and parsed
//! once into a tree. Forms follow the TARIC / UK Trade Tariff duty expressions:
//! ad valorem (`5 %`), specific per UN/ECE Rec 20 unit (`0.15 EUR/KGM`), compound (`10 % + 2 EUR/HLT`),
//! the EAEU form "X % but not less than Y EUR per kg" (`10 % but not less than 0.5 EUR/KGM`),
//! and explicit `max(..)` / `min(..)` (TARIC duty expressions 15 "minimum" and 17 "maximum").

use std::fmt;

use caravan_types::{CurrencyCode, Decimal};

use crate::units::{Quantity, Unit};

/// A parsed duty expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DutyExpr {
    /// A percentage of the base (the customs value, or the VAT base for VAT).
    AdValorem(Decimal),
    /// An amount of money per unit of quantity.
    Specific {
        /// Money per unit.
        amount: Decimal,
        /// Currency of `amount`.
        currency: CurrencyCode,
        /// Unit the amount is charged per.
        unit: Unit,
    },
    /// Sum of parts (compound duty).
    Sum(Vec<DutyExpr>),
    /// The greatest of the parts ("but not less than": a minimum duty).
    Max(Vec<DutyExpr>),
    /// The least of the parts ("but not more than": a maximum duty).
    Min(Vec<DutyExpr>),
}

/// Why a duty expression did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("duty expression {text:?}: {reason}")]
pub struct ExprError {
    /// The whole expression text.
    pub text: String,
    /// What is wrong, and where.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(Decimal),
    Word(String),
    Percent,
    Slash,
    Plus,
    Comma,
    Open,
    Close,
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let bytes = text.as_bytes();
    let mut pos = 0;
    while pos < bytes.len() {
        let b = bytes[pos];
        match b {
            b' ' | b'\t' => pos += 1,
            b'%' => {
                tokens.push(Token::Percent);
                pos += 1;
            }
            b'/' => {
                tokens.push(Token::Slash);
                pos += 1;
            }
            b'+' => {
                tokens.push(Token::Plus);
                pos += 1;
            }
            b',' => {
                tokens.push(Token::Comma);
                pos += 1;
            }
            b'(' => {
                tokens.push(Token::Open);
                pos += 1;
            }
            b')' => {
                tokens.push(Token::Close);
                pos += 1;
            }
            b'0'..=b'9' | b'.' => {
                let start = pos;
                while pos < bytes.len() && (bytes[pos].is_ascii_digit() || bytes[pos] == b'.') {
                    pos += 1;
                }
                let number = &text[start..pos];
                let value: Decimal =
                    number.parse().map_err(|_| format!("{number:?} is not a decimal number"))?;
                tokens.push(Token::Number(value));
            }
            b if b.is_ascii_alphanumeric() => {
                let start = pos;
                while pos < bytes.len() && bytes[pos].is_ascii_alphanumeric() {
                    pos += 1;
                }
                tokens.push(Token::Word(text[start..pos].to_owned()));
            }
            _ => {
                let ch = text[pos..].chars().next().unwrap_or('?');
                return Err(format!("unexpected character {ch:?} at byte {pos}"));
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    fn peek_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn expect_word(&mut self, word: &str) -> Result<(), String> {
        if self.peek_word(word) {
            self.pos += 1;
            Ok(())
        } else {
            Err(format!("expected {word:?} at token {}", self.pos + 1))
        }
    }

    fn expect(&mut self, token: &Token, what: &str) -> Result<(), String> {
        if self.peek() == Some(token) {
            self.pos += 1;
            Ok(())
        } else {
            Err(format!("expected {what} at token {}", self.pos + 1))
        }
    }

    /// expr := sum (("but not less than" | "but not more than") sum)*
    fn expr(&mut self) -> Result<DutyExpr, String> {
        let mut left = self.sum()?;
        while self.peek_word("but") {
            self.pos += 1;
            self.expect_word("not")?;
            let is_minimum = if self.peek_word("less") {
                true
            } else if self.peek_word("more") {
                false
            } else {
                return Err("expected \"less\" or \"more\" after \"but not\"".to_owned());
            };
            self.pos += 1;
            self.expect_word("than")?;
            let right = self.sum()?;
            left = if is_minimum {
                DutyExpr::Max(vec![left, right])
            } else {
                DutyExpr::Min(vec![left, right])
            };
        }
        Ok(left)
    }

    /// sum := atom ("+" atom)*
    fn sum(&mut self) -> Result<DutyExpr, String> {
        let first = self.atom()?;
        if self.peek() != Some(&Token::Plus) {
            return Ok(first);
        }
        let mut parts = vec![first];
        while self.peek() == Some(&Token::Plus) {
            self.pos += 1;
            parts.push(self.atom()?);
        }
        Ok(DutyExpr::Sum(parts))
    }

    /// atom := ("max" | "min") "(" expr ("," expr)* ")" | "(" expr ")" | number "%" | number CUR "/" UNIT
    fn atom(&mut self) -> Result<DutyExpr, String> {
        match self.next() {
            Some(Token::Word(word))
                if word.eq_ignore_ascii_case("max") || word.eq_ignore_ascii_case("min") =>
            {
                self.expect(&Token::Open, "\"(\"")?;
                let mut parts = vec![self.expr()?];
                while self.peek() == Some(&Token::Comma) {
                    self.pos += 1;
                    parts.push(self.expr()?);
                }
                self.expect(&Token::Close, "\")\"")?;
                Ok(if word.eq_ignore_ascii_case("max") {
                    DutyExpr::Max(parts)
                } else {
                    DutyExpr::Min(parts)
                })
            }
            Some(Token::Open) => {
                let inner = self.expr()?;
                self.expect(&Token::Close, "\")\"")?;
                Ok(inner)
            }
            Some(Token::Number(value)) => match self.next() {
                Some(Token::Percent) => Ok(DutyExpr::AdValorem(value)),
                Some(Token::Word(currency)) => {
                    let currency = CurrencyCode::parse(&currency).map_err(|err| err.to_string())?;
                    self.expect(&Token::Slash, "\"/\" between currency and unit")?;
                    let Some(Token::Word(unit)) = self.next() else {
                        return Err("expected a Rec 20 unit code after \"/\"".to_owned());
                    };
                    let unit = Unit::parse(&unit).map_err(|err| err.to_string())?;
                    Ok(DutyExpr::Specific { amount: value, currency, unit })
                }
                _ => Err(format!("expected \"%\" or a currency after {value}")),
            },
            Some(token) => Err(format!("unexpected {token:?} at token {}", self.pos)),
            None => Err("unexpected end of expression".to_owned()),
        }
    }
}

impl DutyExpr {
    /// Parses a duty expression.
    ///
    /// # Errors
    /// [`ExprError`] naming what was expected where.
    pub fn parse(text: &str) -> Result<DutyExpr, ExprError> {
        let fail = |reason: String| ExprError { text: text.to_owned(), reason };
        let tokens = tokenize(text).map_err(fail)?;
        let mut parser = Parser { tokens, pos: 0 };
        let expr = parser.expr().map_err(fail)?;
        if parser.pos != parser.tokens.len() {
            return Err(fail(format!("unexpected text after token {}", parser.pos)));
        }
        expr.check().map_err(fail)?;
        Ok(expr)
    }

    fn check(&self) -> Result<(), String> {
        match self {
            DutyExpr::AdValorem(rate) if rate.is_sign_negative() => {
                Err(format!("negative rate {rate} %"))
            }
            DutyExpr::Specific { amount, .. } if amount.is_sign_negative() => {
                Err(format!("negative amount {amount}"))
            }
            DutyExpr::AdValorem(_) | DutyExpr::Specific { .. } => Ok(()),
            DutyExpr::Sum(parts) | DutyExpr::Max(parts) | DutyExpr::Min(parts) => {
                parts.iter().try_for_each(DutyExpr::check)
            }
        }
    }

    /// Whether the expression is a plain percentage (VAT must be one).
    pub fn is_ad_valorem(&self) -> bool {
        matches!(self, DutyExpr::AdValorem(_))
    }

    /// The first unit a specific part is charged per, if any.
    pub fn unit(&self) -> Option<Unit> {
        match self {
            DutyExpr::AdValorem(_) => None,
            DutyExpr::Specific { unit, .. } => Some(*unit),
            DutyExpr::Sum(parts) | DutyExpr::Max(parts) | DutyExpr::Min(parts) => {
                parts.iter().find_map(DutyExpr::unit)
            }
        }
    }

    /// Every currency a specific part is stated in.
    pub fn currencies(&self, out: &mut Vec<CurrencyCode>) {
        match self {
            DutyExpr::AdValorem(_) => {}
            DutyExpr::Specific { currency, .. } => {
                if !out.contains(currency) {
                    out.push(*currency);
                }
            }
            DutyExpr::Sum(parts) | DutyExpr::Max(parts) | DutyExpr::Min(parts) => {
                parts.iter().for_each(|part| part.currencies(out));
            }
        }
    }

    /// Evaluates the expression, unrounded, in the accounting currency.
    ///
    /// `base` is the amount a percentage applies to; `quantity` the declared quantity;
    /// `convert(currency, amount)` turns an amount of a foreign currency into the accounting
    /// currency.
    ///
    /// # Errors
    /// [`EvalError`] when a specific part needs a quantity that was not declared, in a unit of
    /// another dimension, or a currency without an exchange rate.
    pub fn evaluate(
        &self,
        base: Decimal,
        quantity: Option<&Quantity>,
        convert: &dyn Fn(CurrencyCode, Decimal) -> Option<Decimal>,
    ) -> Result<Decimal, EvalError> {
        match self {
            // Ad valorem: rate % of the base.
            // Multiplying by 0.01 only shifts the scale: cheaper than dividing by 100.
            DutyExpr::AdValorem(rate) => base
                .checked_mul(*rate)
                .and_then(|product| product.checked_mul(Decimal::new(1, 2)))
                .ok_or(EvalError::Overflow),
            DutyExpr::Specific { amount, currency, unit } => {
                let quantity = quantity.ok_or(EvalError::MissingQuantity { unit: *unit })?;
                let in_unit = quantity
                    .unit
                    .convert(quantity.amount, *unit)
                    .ok_or(EvalError::IncompatibleUnit { given: quantity.unit, required: *unit })?;
                let per_unit = convert(*currency, *amount)
                    .ok_or(EvalError::NoExchangeRate { currency: *currency })?;
                per_unit.checked_mul(in_unit).ok_or(EvalError::Overflow)
            }
            DutyExpr::Sum(parts) => parts.iter().try_fold(Decimal::ZERO, |total, part| {
                total
                    .checked_add(part.evaluate(base, quantity, convert)?)
                    .ok_or(EvalError::Overflow)
            }),
            DutyExpr::Max(parts) => fold_extreme(parts, base, quantity, convert, Decimal::max),
            DutyExpr::Min(parts) => fold_extreme(parts, base, quantity, convert, Decimal::min),
        }
    }
}

fn fold_extreme(
    parts: &[DutyExpr],
    base: Decimal,
    quantity: Option<&Quantity>,
    convert: &dyn Fn(CurrencyCode, Decimal) -> Option<Decimal>,
    pick: fn(Decimal, Decimal) -> Decimal,
) -> Result<Decimal, EvalError> {
    let mut best: Option<Decimal> = None;
    for part in parts {
        let value = part.evaluate(base, quantity, convert)?;
        best = Some(best.map_or(value, |b| pick(b, value)));
    }
    best.ok_or(EvalError::Overflow)
}

/// Why an expression could not be evaluated for a declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    #[error("a quantity in {unit} ({}) is required for this specific duty", unit.name())]
    MissingQuantity { unit: Unit },
    #[error("quantity given in {given} cannot be converted to {required}")]
    IncompatibleUnit { given: Unit, required: Unit },
    #[error("no exchange rate for {currency}")]
    NoExchangeRate { currency: CurrencyCode },
    #[error("amount too large to compute")]
    Overflow,
}

impl fmt::Display for DutyExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |f: &mut fmt::Formatter<'_>, parts: &[DutyExpr], sep: &str| -> fmt::Result {
            for (idx, part) in parts.iter().enumerate() {
                if idx > 0 {
                    f.write_str(sep)?;
                }
                write!(f, "{part}")?;
            }
            Ok(())
        };
        match self {
            DutyExpr::AdValorem(rate) => write!(f, "{rate} %"),
            DutyExpr::Specific { amount, currency, unit } => {
                write!(f, "{amount} {currency}/{unit}")
            }
            DutyExpr::Sum(parts) => join(f, parts, " + "),
            DutyExpr::Max(parts) => {
                f.write_str("max(")?;
                join(f, parts, ", ")?;
                f.write_str(")")
            }
            DutyExpr::Min(parts) => {
                f.write_str("min(")?;
                join(f, parts, ", ")?;
                f.write_str(")")
            }
        }
    }
}
