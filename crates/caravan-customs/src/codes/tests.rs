//! Tests of the code lists and the ISO 6346 check digit.

use super::*;

#[track_caller]
fn check_container(number: &str, expect: bool) {
    assert_eq!(iso6346_is_valid(number), expect, "{number}");
}

#[test]
fn iso6346_check_digits() {
    // The worked example of ISO 6346 Annex A (CSQU 305438, check digit 3).
    check_container("CSQU3054383", true);
    check_container("CSQU3054384", false);
    check_container("csqu3054383", false);
    check_container("CSQX3054383", false);
    check_container("CSQU305438", false);
    check_container("", false);
}

#[test]
fn every_single_digit_change_breaks_the_check_digit() {
    // ISO 6346 Annex A: weights 2^0..2^9 are non-zero modulo 11 and a digit changes by 1..=9,
    // so any one-digit change of the serial number changes the sum modulo 11.
    let valid = "CSQU3054383";
    for position in 4..10 {
        for digit in b'0'..=b'9' {
            let mut bytes = valid.as_bytes().to_vec();
            if bytes[position] == digit {
                continue;
            }
            bytes[position] = digit;
            let changed = String::from_utf8(bytes).unwrap();
            // The check digit is 3, so only a sum with the same remainder would pass.
            assert!(!iso6346_is_valid(&changed), "{changed}");
        }
    }
}

fn shipped() -> CodeListSources<'static> {
    macro_rules! file {
        ($name:literal) => {
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/customs/", $name))
        };
    }
    CodeListSources {
        offices: file!("offices.csv"),
        procedures: file!("procedures.csv"),
        transport_modes: file!("transport-modes.csv"),
        package_kinds: file!("package-kinds.csv"),
        document_types: file!("document-types.csv"),
        valuation_methods: file!("valuation-methods.csv"),
    }
}

#[test]
fn shipped_code_lists_parse() {
    let lists = CodeLists::parse(&shipped()).unwrap();
    // Every office is in one of the six countries of the mechanism.
    assert!(lists.offices.values().all(CountryCode::is_mechanism_member));
    // UN/ECE Recommendation 19 has exactly the ten codes 0-9.
    let modes: Vec<&str> = lists.transport_modes.iter().map(String::as_str).collect();
    assert_eq!(modes, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    assert_eq!(lists.document_types.get("861"), Some(&true));
    assert_eq!(lists.document_types.get("380"), Some(&false));
    assert_eq!(lists.package_kinds.get("VR"), Some(&false));
    assert_eq!(lists.procedures.get("4000"), Some(&DeclarationType::Import));
    assert_eq!(lists.valuation_methods.len(), 6);
}

#[test]
fn malformed_code_list_names_file_and_row() {
    let mut sources = shipped();
    sources.procedures = "code,declaration_type,name\n4000,IM,ok\n1000,XX,bad\n";
    let err = CodeLists::parse(&sources).unwrap_err();
    assert_eq!(
        err,
        CodeListError::Row {
            file: "procedures.csv",
            row: 3,
            reason: "declaration_type must be IM, EX or TR, got \"XX\"".to_owned()
        }
    );
    sources = shipped();
    sources.offices = "code,country,name\n";
    assert!(matches!(
        CodeLists::parse(&sources),
        Err(CodeListError::File { file: "offices.csv", .. })
    ));
}
