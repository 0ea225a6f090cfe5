//! Our unit and currency tables against the published code lists.

use caravan_tariff::{Unit, known_minor_units};
use rust_decimal::Decimal;

use super::data;

/// Parses a Rec 20 conversion factor such as `10³ kg`, `10⁻¹ m³`, `3,6 x 10⁶ J`, `12`, `kg`
/// into (number, base-unit symbol).
fn rec20_factor(text: &str) -> Option<(Decimal, String)> {
    let text = text.trim().replace(',', ".");
    let superscript = |c: char| "⁰¹²³⁴⁵⁶⁷⁸⁹".chars().position(|s| s == c);
    let (mantissa, rest) = match text.split_once(" x ") {
        Some((m, rest)) => (m.replace(' ', "").parse::<Decimal>().ok()?, rest.to_owned()),
        None => (Decimal::ONE, text.clone()),
    };
    if let Some(power) = rest.strip_prefix("10") {
        let mut exponent: i64 = 0;
        let mut negative = false;
        let mut unit = String::new();
        let mut in_exponent = true;
        for ch in power.chars() {
            match (in_exponent, ch, superscript(ch)) {
                (true, '⁻', _) => negative = true,
                (true, _, Some(digit)) => exponent = exponent * 10 + digit as i64,
                _ => {
                    in_exponent = false;
                    unit.push(ch);
                }
            }
        }
        let mut value = mantissa;
        for _ in 0..exponent {
            value = if negative { value / Decimal::TEN } else { value * Decimal::TEN };
        }
        return Some((value, unit.trim().to_owned()));
    }
    match rest.parse::<Decimal>() {
        Ok(number) => Some((number * mantissa, String::new())),
        Err(_) => Some((mantissa, rest.trim().to_owned())),
    }
}

#[test]
fn unit_factors_match_rec20() {
    // Expected: UN/ECE Rec 20 Rev. 17 (2021), Annex II "conversion factor" column; tests/data/PROVENANCE.md.
    let csv = data("rec20_all_codes.csv");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let base_symbol = |unit: &Unit| match unit.dimension() {
        caravan_tariff::Dimension::Mass => "kg",
        caravan_tariff::Dimension::Volume => "m³",
        caravan_tariff::Dimension::Energy => "J",
        _ => "",
    };
    let mut checked = 0;
    for unit in Unit::all() {
        let row = rows
            .iter()
            .find(|r| &r[1] == unit.code())
            .unwrap_or_else(|| panic!("{} not in Rec 20", unit.code()));
        assert_eq!(&row[0], "", "{} is marked deleted or deprecated in Rec 20", unit.code());
        assert_eq!(row[2].replace('\u{a0}', " "), unit.name(), "name of {}", unit.code());
        let factor = &row[6];
        // Pairs are deliberately their own dimension (a duty per pair is not per piece), so PR's
        // Rec 20 factor "2" (pieces) is not our factor.
        if factor.is_empty() || unit.dimension() == caravan_tariff::Dimension::Pairs {
            continue; // Rec 20 gives no factor (counts such as NAR, LPA): nothing to compare.
        }
        let (number, symbol) =
            rec20_factor(factor).unwrap_or_else(|| panic!("unparsed factor {factor:?}"));
        if symbol.is_empty() || symbol == base_symbol(unit) {
            assert_eq!(number, unit.factor(), "{}: Rec 20 says {factor:?}", unit.code());
            checked += 1;
        }
    }
    assert!(checked >= 12, "only {checked} factors compared");
}

#[test]
fn minor_units_match_iso4217() {
    // Expected: ISO 4217 List One (2026-01-01); tests/data/PROVENANCE.md.
    let csv = data("iso4217_list_one.csv");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let code_idx = headers.iter().position(|h| h == "alpha_code").unwrap();
    let minor_idx = headers.iter().position(|h| h == "minor_units").unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    for (code, minor) in known_minor_units() {
        let row = rows
            .iter()
            .find(|r| &r[code_idx] == *code)
            .unwrap_or_else(|| panic!("{code} not in ISO 4217"));
        assert_eq!(row[minor_idx].parse::<u32>().unwrap(), *minor, "{code}");
    }
}
