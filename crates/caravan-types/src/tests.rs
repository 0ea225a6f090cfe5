use super::*;

#[test]
fn hs_codes_parse_with_separators_and_keep_leading_zeros() {
    let code = HsCode::parse(" 0101.21 ").unwrap();
    assert_eq!(code.as_str(), "010121");
    assert_eq!(code.len(), 6);
    assert_eq!(code.chapter().as_str(), "01");
    assert_eq!(code.parent().unwrap().as_str(), "0101");
    assert!(code.is_within(&HsCode::parse("01").unwrap()));
    assert!(!code.is_within(&HsCode::parse("0102").unwrap()));
    assert_eq!(HsCode::parse("01").unwrap().parent(), None);
}

#[test]
fn malformed_hs_codes_are_rejected_with_the_value() {
    for bad in ["", "1", "123", "12345678901", "12a4", "-101"] {
        let err = HsCode::parse(bad).unwrap_err();
        assert!(err.to_string().contains("HS code"), "{err}");
        assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
    }
}

#[test]
fn country_and_currency_codes_are_normalised() {
    assert_eq!(CountryCode::parse("kz").unwrap().as_str(), "KZ");
    assert!(CountryCode::parse("KZ").unwrap().is_mechanism_member());
    assert!(!CountryCode::parse("DE").unwrap().is_mechanism_member());
    assert!(CountryCode::parse("KAZ").is_err());
    assert!(CountryCode::parse("K1").is_err());
    assert_eq!(CurrencyCode::parse("usd").unwrap().to_string(), "USD");
    assert!(CurrencyCode::parse("US").is_err());
}

#[test]
fn codes_round_trip_through_json() {
    let code: HsCode = serde_json::from_str("\"7403.11\"").unwrap();
    assert_eq!(serde_json::to_string(&code).unwrap(), "\"740311\"");
    let err = serde_json::from_str::<CountryCode>("\"Kazakhstan\"").unwrap_err();
    assert!(err.to_string().contains("country code"));
}

#[test]
fn money_rounds_half_away_from_zero() {
    let usd = CurrencyCode::parse("USD").unwrap();
    let m = Money::new(Decimal::new(12345, 3), usd); // 12.345
    assert_eq!(m.round_to_minor_units(2).amount, Decimal::new(1235, 2));
    let m = Money::new(Decimal::new(-12345, 3), usd);
    assert_eq!(m.round_to_minor_units(2).amount, Decimal::new(-1235, 2));
}
