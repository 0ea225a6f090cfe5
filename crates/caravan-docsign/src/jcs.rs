//! Strict JSON parsing and the RFC 8785 JSON Canonicalization Scheme (JCS).
//!
//! The parser accepts RFC 8259 JSON restricted to I-JSON (RFC 7493) as RFC 8785 §3.1 requires:
//! no duplicate member names, no lone surrogates, numbers that fit an IEEE 754 double. On top
//! it enforces the limits a certificate verifier needs against hostile input: a byte-size limit,
//! a nesting-depth limit, and numbers whose decimal value would change when canonicalised
//! (for example `9007199254740993`, which a double cannot hold) are refused rather than
//! silently rounded. The serializer writes the RFC 8785 §3.2 form: members sorted by their
//! UTF-16 code units, ECMAScript `JSON.stringify` strings and numbers, no white space.

use std::fmt::Write as _;

use serde_json::{Map, Number, Value};

/// Significant decimal digits that suffice to identify any IEEE 754 double.
const MAX_SIGNIFICANT_DIGITS: usize = 17;

/// Limits the strict parser enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseLimits {
    /// Largest accepted document, in bytes.
    pub max_bytes: usize,
    /// Deepest accepted nesting of arrays and objects (the top-level value is depth 1).
    pub max_depth: usize,
}

impl Default for ParseLimits {
    /// 1 MiB and 64 levels: a certificate is a few kilobytes and a dozen levels deep.
    fn default() -> Self {
        Self { max_bytes: 1 << 20, max_depth: 64 }
    }
}

/// Why a JSON document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    #[error("document is {size} bytes, more than the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("nesting deeper than {limit} levels at byte {offset}")]
    TooDeep { offset: usize, limit: usize },
    #[error("duplicate member name {name:?} at byte {offset}")]
    DuplicateKey { name: String, offset: usize },
    #[error("number {text} at byte {offset} cannot be represented exactly: {reason}")]
    Number { text: String, offset: usize, reason: &'static str },
    #[error("invalid JSON at byte {offset}: {reason}")]
    Syntax { offset: usize, reason: &'static str },
}

/// Parses `bytes` as one strict JSON document (see the module docs) with the default limits.
///
/// # Errors
/// [`JsonError`] naming the byte offset and the reason.
pub fn parse(bytes: &[u8]) -> Result<Value, JsonError> {
    parse_with_limits(bytes, ParseLimits::default())
}

/// Parses `bytes` as one strict JSON document under `limits`.
///
/// # Errors
/// [`JsonError`] naming the byte offset and the reason.
pub fn parse_with_limits(bytes: &[u8], limits: ParseLimits) -> Result<Value, JsonError> {
    if bytes.len() > limits.max_bytes {
        return Err(JsonError::TooLarge { size: bytes.len(), limit: limits.max_bytes });
    }
    let mut parser = Parser { bytes, pos: 0, limits };
    parser.skip_ws();
    let value = parser.value(1)?;
    parser.skip_ws();
    if parser.pos != bytes.len() {
        return Err(parser.syntax("trailing characters after the document"));
    }
    Ok(value)
}

/// Parses `bytes` strictly and returns their RFC 8785 canonical form.
///
/// # Errors
/// [`JsonError`] when the input is not strict JSON.
pub fn canonicalize(bytes: &[u8]) -> Result<Vec<u8>, JsonError> {
    Ok(to_canonical(&parse(bytes)?))
}

/// Serializes `value` in the RFC 8785 canonical form.
///
/// Numbers that are not finite cannot occur in a `serde_json::Value`; any number is written
/// as the ECMAScript serialization of its nearest double (RFC 8785 §3.2.2.3).
pub fn to_canonical(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_value(value, &mut out);
    out
}

/// The canonical form of the object `members` with member `name` replaced by `replacement`, or
/// left out when `replacement` is `None`, without copying the object.
pub fn to_canonical_replacing(
    members: &Map<String, Value>,
    name: &str,
    replacement: Option<&Value>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    let owned_name = name.to_owned();
    let mut selected: Vec<(&String, &Value)> =
        members.iter().filter(|(key, _)| key.as_str() != name).collect();
    if let Some(replacement) = replacement {
        selected.push((&owned_name, replacement));
    }
    write_members(selected, &mut out);
    out
}

/// Both [`to_canonical_replacing`] forms at once, serialising the shared members only once:
/// the object without member `name`, and the object with `name` set to `replacement`.
pub fn to_canonical_without_and_replacing(
    members: &Map<String, Value>,
    name: &str,
    replacement: &Value,
) -> (Vec<u8>, Vec<u8>) {
    let owned_name = name.to_owned();
    let mut selected: Vec<(&String, &Value)> =
        members.iter().filter(|(key, _)| key.as_str() != name).collect();
    selected.push((&owned_name, replacement));
    selected.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
    let mut without = Vec::with_capacity(2048);
    let mut with = Vec::with_capacity(2048);
    without.push(b'{');
    with.push(b'{');
    let mut member = Vec::with_capacity(1024);
    for (key, item) in selected {
        member.clear();
        write_string(key, &mut member);
        member.push(b':');
        write_value(item, &mut member);
        if with.len() > 1 {
            with.push(b',');
        }
        with.extend_from_slice(&member);
        if key != name {
            if without.len() > 1 {
                without.push(b',');
            }
            without.extend_from_slice(&member);
        }
    }
    without.push(b'}');
    with.push(b'}');
    (without, with)
}

fn write_members(mut sorted: Vec<(&String, &Value)>, out: &mut Vec<u8>) {
    // RFC 8785 §3.2.3: sort member names by their UTF-16 code units, compared as unsigned
    // integers, independent of locale.
    sorted.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
    out.push(b'{');
    for (idx, (name, item)) in sorted.into_iter().enumerate() {
        if idx > 0 {
            out.push(b',');
        }
        write_string(name, out);
        out.push(b':');
        write_value(item, out);
    }
    out.push(b'}');
}

fn write_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(number) => write_number(number, out),
        Value::String(text) => write_string(text, out),
        Value::Array(items) => {
            out.push(b'[');
            for (idx, item) in items.iter().enumerate() {
                if idx > 0 {
                    out.push(b',');
                }
                write_value(item, out);
            }
            out.push(b']');
        }
        Value::Object(members) => write_members(members.iter().collect(), out),
    }
}

fn write_number(number: &Number, out: &mut Vec<u8>) {
    if let Some(int) = number.as_i64() {
        // Integers stored by the parser are exact doubles (|n| <= 2^53), and ES6 prints such
        // doubles below 1e21 as plain integers.
        if int.unsigned_abs() <= 1 << 53 {
            let mut buf = String::new();
            let _ = write!(buf, "{int}");
            out.extend_from_slice(buf.as_bytes());
            return;
        }
    }
    let double = number.as_f64().unwrap_or(0.0);
    out.extend_from_slice(es6_number(double).as_bytes());
}

/// The ECMAScript `Number.prototype.toString` form of a finite double (ECMA-262 §7.1.12.1,
/// required by RFC 8785 §3.2.2.3). Non-finite values, which JSON cannot carry, print `null`
/// as `JSON.stringify` does.
pub fn es6_number(value: f64) -> String {
    if !value.is_finite() {
        return "null".to_owned();
    }
    if value == 0.0 {
        // Both +0 and -0 serialize as "0".
        return "0".to_owned();
    }
    let (negative, digits, exponent) = shortest_digits(value);
    // ECMA-262 names: k = number of digits, n = position of the decimal point, so that the
    // value is 0.d1d2..dk × 10^n.
    let k = digits.len() as i32;
    let n = exponent + 1;
    let mut res = String::with_capacity(24);
    if negative {
        res.push('-');
    }
    if k <= n && n <= 21 {
        res.push_str(&digits);
        for _ in 0..(n - k) {
            res.push('0');
        }
    } else if 0 < n && n <= 21 {
        res.push_str(&digits[..n as usize]);
        res.push('.');
        res.push_str(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        res.push_str("0.");
        for _ in 0..(-n) {
            res.push('0');
        }
        res.push_str(&digits);
    } else {
        res.push_str(&digits[..1]);
        if k > 1 {
            res.push('.');
            res.push_str(&digits[1..]);
        }
        res.push('e');
        res.push(if n > 0 { '+' } else { '-' });
        let _ = write!(res, "{}", (n - 1).abs());
    }
    res
}

/// The shortest decimal digits that round-trip to `value`, with the decimal exponent of the
/// first digit. ECMA-262 §7.1.12.1 step 5 asks for the digits nearest to the exact value and,
/// when two are equally near, the even one: Ryu (the `ryu` crate) rounds such ties to even,
/// where Rust's own float formatting rounds them up (issue 23: the double -1715536978076941.25
/// is `-1715536978076941.2`, not `.3`).
fn shortest_digits(value: f64) -> (bool, String, i32) {
    let mut buffer = ryu::Buffer::new();
    let text = buffer.format_finite(value.abs());
    // Ryu writes `d.ddde[-]x` or a plain decimal (`123.45`, `0.00012`, `100.0`).
    let (mantissa, exponent) = match text.split_once('e') {
        Some((mantissa, exponent)) => (mantissa, exponent.parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all: String = int_part.chars().chain(frac_part.chars()).collect();
    let leading_zeros = all.len() - all.trim_start_matches('0').len();
    let digits = all.trim_start_matches('0').trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let int_len = i32::try_from(int_part.len()).unwrap_or(0);
    let first = exponent + int_len - 1 - i32::try_from(leading_zeros).unwrap_or(0);
    (value.is_sign_negative(), digits.to_owned(), first)
}

fn write_string(text: &str, out: &mut Vec<u8>) {
    // RFC 8785 §3.2.2.2: the ECMAScript JSON.stringify escaping: the two-character escapes
    // for \b \t \n \f \r " \, \u00xx (lower-case hex) for other controls, everything else
    // as is. Only ASCII bytes ever need escaping, so runs of other bytes are copied whole.
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut run_start = 0;
    for (idx, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            0x0c => b"\\f",
            b'\r' => b"\\r",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[run_start..idx]);
        run_start = idx + 1;
        if escape.is_empty() {
            let _ = write!(ByteWriter(out), "\\u{:04x}", b);
        } else {
            out.extend_from_slice(escape);
        }
    }
    out.extend_from_slice(&bytes[run_start..]);
    out.push(b'"');
}

struct ByteWriter<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for ByteWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
    limits: ParseLimits,
}

impl Parser<'_> {
    fn syntax(&self, reason: &'static str) -> JsonError {
        JsonError::Syntax { offset: self.pos, reason }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn expect_literal(&mut self, literal: &[u8], value: Value) -> Result<Value, JsonError> {
        if self.bytes[self.pos..].starts_with(literal) {
            self.pos += literal.len();
            Ok(value)
        } else {
            Err(self.syntax("unknown literal (expected null, true or false)"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, JsonError> {
        match self.peek() {
            None => Err(self.syntax("unexpected end of input")),
            Some(b'n') => self.expect_literal(b"null", Value::Null),
            Some(b't') => self.expect_literal(b"true", Value::Bool(true)),
            Some(b'f') => self.expect_literal(b"false", Value::Bool(false)),
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'[') => {
                self.check_depth(depth)?;
                self.array(depth)
            }
            Some(b'{') => {
                self.check_depth(depth)?;
                self.object(depth)
            }
            Some(_) => Err(self.syntax("unexpected character")),
        }
    }

    fn check_depth(&self, depth: usize) -> Result<(), JsonError> {
        if depth > self.limits.max_depth {
            return Err(JsonError::TooDeep { offset: self.pos, limit: self.limits.max_depth });
        }
        Ok(())
    }

    fn array(&mut self, depth: usize) -> Result<Value, JsonError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.syntax("expected ',' or ']' in array")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, JsonError> {
        self.pos += 1;
        let mut members = Map::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.syntax("expected a member name"));
            }
            let name_offset = self.pos;
            let name = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.syntax("expected ':' after member name"));
            }
            self.pos += 1;
            self.skip_ws();
            let item = self.value(depth + 1)?;
            // RFC 8785 §3.1 and I-JSON (RFC 7493 §2.3): member names must be unique. One
            // look-up for the check and the insert.
            match members.entry(name) {
                serde_json::map::Entry::Vacant(slot) => {
                    slot.insert(item);
                }
                serde_json::map::Entry::Occupied(taken) => {
                    return Err(JsonError::DuplicateKey {
                        name: taken.key().clone(),
                        offset: name_offset,
                    });
                }
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                _ => return Err(self.syntax("expected ',' or '}' in object")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let chunk = self
            .bytes
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.syntax("truncated \\u escape"))?;
        let mut code = 0u32;
        for &b in chunk {
            let digit = (b as char)
                .to_digit(16)
                .ok_or_else(|| self.syntax("bad hex digit in \\u escape"))?;
            code = code * 16 + digit;
        }
        self.pos += 4;
        Ok(code)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1;
        let mut res = String::new();
        loop {
            let start = self.pos;
            let rest = &self.bytes[start..];
            self.pos += rest
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(rest.len());
            let chunk = std::str::from_utf8(&self.bytes[start..self.pos]).map_err(|_| {
                JsonError::Syntax { offset: start, reason: "invalid UTF-8 in string" }
            })?;
            // Most strings have no escape: copied once at their exact length.
            if res.is_empty() && self.peek() == Some(b'"') {
                self.pos += 1;
                return Ok(chunk.to_owned());
            }
            res.push_str(chunk);
            match self.peek() {
                None => return Err(self.syntax("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(res);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let escape = self.peek().ok_or_else(|| self.syntax("unterminated escape"))?;
                    self.pos += 1;
                    match escape {
                        b'"' => res.push('"'),
                        b'\\' => res.push('\\'),
                        b'/' => res.push('/'),
                        b'b' => res.push('\u{8}'),
                        b'f' => res.push('\u{c}'),
                        b'n' => res.push('\n'),
                        b'r' => res.push('\r'),
                        b't' => res.push('\t'),
                        b'u' => res.push(self.unicode_escape()?),
                        _ => return Err(self.syntax("unknown escape")),
                    }
                }
                Some(_) => return Err(self.syntax("control character in string must be escaped")),
            }
        }
    }

    fn unicode_escape(&mut self) -> Result<char, JsonError> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                // I-JSON (RFC 7493 §2.1): a high surrogate must be followed by a low one.
                if !self.bytes[self.pos..].starts_with(b"\\u") {
                    return Err(self.syntax("lone high surrogate"));
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.syntax("high surrogate not followed by a low surrogate"));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(self.syntax("lone low surrogate")),
            other => other,
        };
        char::from_u32(code).ok_or_else(|| self.syntax("invalid code point"))
    }

    fn number(&mut self) -> Result<Value, JsonError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.skip_digits(),
            _ => return Err(self.syntax("expected a digit")),
        }
        let int_end = self.pos;
        let mut frac = (self.pos, self.pos);
        if self.peek() == Some(b'.') {
            self.pos += 1;
            let frac_start = self.pos;
            self.skip_digits();
            if self.pos == frac_start {
                return Err(self.syntax("expected a digit after the decimal point"));
            }
            frac = (frac_start, self.pos);
        }
        let mut exponent: i64 = 0;
        let has_exponent = matches!(self.peek(), Some(b'e' | b'E'));
        if has_exponent {
            self.pos += 1;
            let negative = match self.peek() {
                Some(b'-') => {
                    self.pos += 1;
                    true
                }
                Some(b'+') => {
                    self.pos += 1;
                    false
                }
                _ => false,
            };
            let exp_start = self.pos;
            self.skip_digits();
            if self.pos == exp_start {
                return Err(self.syntax("expected a digit in the exponent"));
            }
            for &b in &self.bytes[exp_start..self.pos] {
                exponent = (exponent * 10 + i64::from(b - b'0')).min(1_000_000);
            }
            if negative {
                exponent = -exponent;
            }
        }
        let text = std::str::from_utf8(&self.bytes[start..self.pos]).unwrap_or("");
        let number_error =
            |reason| JsonError::Number { text: text.to_owned(), offset: start, reason };
        let double: f64 = text.parse().map_err(|_| number_error("not a number"))?;
        if !double.is_finite() {
            return Err(number_error("out of the range of an IEEE 754 double"));
        }
        // The decimal value written, as significant digits and the exponent of the first one.
        let mut digits: Vec<u8> = self.bytes[int_start..int_end].to_vec();
        digits.extend_from_slice(&self.bytes[frac.0..frac.1]);
        let leading = digits.iter().take_while(|&&d| d == b'0').count();
        let point = (int_end - int_start) as i64 - leading as i64 + exponent;
        let significant =
            std::str::from_utf8(&digits[leading..]).unwrap_or("").trim_end_matches('0');
        if significant.is_empty() {
            if double != 0.0 {
                return Err(number_error("zero digits but a non-zero value"));
            }
        } else if double == 0.0 {
            return Err(number_error("too small: it would become 0"));
        } else if significant.len() > MAX_SIGNIFICANT_DIGITS {
            // 17 significant digits identify any double; more claim a precision the
            // canonical form (RFC 8785 §3.2.2.3, the nearest double) would drop.
            return Err(number_error("more than 17 significant digits"));
        } else if !has_exponent && point >= significant.len() as i64 {
            // An integer written out in full: canonicalisation must give back the same integer,
            // so integers past 2^53 that a double cannot hold (e.g. 9007199254740993) are
            // refused. Exponent notation (`1E30`) states a magnitude and is left to rounding.
            let (_, shortest, first_exp) = shortest_digits(double);
            if shortest != significant || i64::from(first_exp) + 1 != point {
                return Err(number_error(
                    "integer not exactly representable as an IEEE 754 double",
                ));
            }
        }
        if double.fract() == 0.0 && double.abs() <= 9_007_199_254_740_992.0 {
            #[expect(
                clippy::cast_possible_truncation,
                reason = "integral and within ±2^53, so exact"
            )]
            let int = double as i64;
            return Ok(Value::Number(Number::from(int)));
        }
        Number::from_f64(double).map(Value::Number).ok_or_else(|| number_error("not finite"))
    }

    fn skip_digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }
}

#[cfg(test)]
mod tests;
