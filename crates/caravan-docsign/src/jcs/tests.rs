//! Unit tests of `jcs`.
use proptest::prelude::*;

use super::*;

fn data(path: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/jcs-rfc8785/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[track_caller]
fn check(input: &str, expect: &str) {
    let res = canonicalize(input.as_bytes()).unwrap();
    assert_eq!(String::from_utf8(res).unwrap(), expect, "input {input}");
}

#[track_caller]
fn check_rejects(input: &str, reason_part: &str) {
    let err = parse(input.as_bytes()).unwrap_err();
    assert!(
        err.to_string().contains(reason_part),
        "input {input}: error {err} should mention {reason_part:?}"
    );
}

#[test]
fn rfc8785_reference_vectors_match_byte_for_byte() {
    // Expected: the outputs of the RFC 8785 author's reference repository (tests/data/PROVENANCE.md).
    for name in ["arrays", "french", "structures", "unicode", "values", "weird"] {
        let input = data(&format!("input/{name}.json"));
        let expected = data(&format!("output/{name}.json"));
        let hex_expected = String::from_utf8(data(&format!("outhex/{name}.txt"))).unwrap();
        let hex_expected: String = hex_expected.split_whitespace().collect();
        let res = canonicalize(&input).unwrap();
        assert_eq!(String::from_utf8_lossy(&res), String::from_utf8_lossy(&expected), "{name}");
        assert_eq!(hex::encode(&res), hex_expected.to_lowercase(), "{name} (outhex)");
    }
}

#[test]
fn es6_number_serialization_matches_ecma262() {
    // Expected values: ECMA-262 Number::toString, as printed by V8 (node -p).
    let cases: &[(f64, &str)] = &[
        (0.0, "0"),
        (-0.0, "0"),
        (1.0, "1"),
        (-1.5, "-1.5"),
        (100.0, "100"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (123456789012345680000.0, "123456789012345680000"),
        (1e-6, "0.000001"),
        (1e-7, "1e-7"),
        (1.23e-18, "1.23e-18"),
        (5e-324, "5e-324"),
        (f64::MAX, "1.7976931348623157e+308"),
        (0.1 + 0.2, "0.30000000000000004"),
        (9007199254740992.0, "9007199254740992"),
        (333333333.3333333, "333333333.3333333"),
        (4.35, "4.35"),
        (0.002, "0.002"),
    ];
    for (value, expect) in cases {
        assert_eq!(es6_number(*value), *expect, "{value:e}");
    }
}

// Issue 23: when two shortest forms are equally near the exact value, ECMA-262 picks the even
// digit. Expected: Node v20.20.2 `JSON.stringify` of each double; tests/data/jcs-number-ties/README.md.
#[test]
fn issue_23_number_ties_print_the_even_digit_as_node_does() {
    // -1715536978076941.25 exactly (written as a quotient: the literal looks excessively precise).
    assert_eq!(es6_number(-6_862_147_912_307_765.0 / 4.0), "-1715536978076941.2");
    let path = format!("{}/tests/data/jcs-number-ties/ties_node.txt", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    let mut n_cases = 0;
    let mut wrong = Vec::new();
    for line in text.lines() {
        let (hex, expect) = line.split_once(' ').unwrap();
        let value = f64::from_bits(u64::from_str_radix(hex, 16).unwrap());
        let res = es6_number(value);
        if res != expect {
            wrong.push(format!("{hex}: {res}, Node {expect}"));
        }
        // Through the canonicaliser too: the parsed number prints the same.
        let canonical = canonicalize(format!("[{expect}]").as_bytes()).unwrap();
        assert_eq!(String::from_utf8(canonical).unwrap(), format!("[{expect}]"));
        n_cases += 1;
    }
    assert_eq!(n_cases, 3001);
    assert!(
        wrong.is_empty(),
        "{} of {n_cases} differ, first: {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(5)]
    );
}

#[test]
fn object_members_are_sorted_by_utf16_code_units() {
    // U+10000 is D800 DC00 in UTF-16, which sorts before U+FB33 although its scalar is larger.
    check("{\"\u{fb33}\":1,\"\u{10000}\":2,\"a\":3}", "{\"a\":3,\"\u{10000}\":2,\"\u{fb33}\":1}");
    check(r#"{"b":[1,{"d":1,"c":2}],"a":null}"#, r#"{"a":null,"b":[1,{"c":2,"d":1}]}"#);
}

#[test]
fn strings_are_escaped_as_json_stringify_does() {
    check(r#""\u001f\u007f\u2028\/\b""#, "\"\\u001f\u{7f}\u{2028}/\\b\"");
}

#[test]
fn duplicate_keys_are_refused() {
    check_rejects(r#"{"a":1,"a":2}"#, "duplicate member name \"a\"");
    check_rejects(r#"{"x":{"a":1,"\u0061":2}}"#, "duplicate member name \"a\"");
}

#[test]
fn numbers_that_would_change_meaning_are_refused() {
    check_rejects("9007199254740993", "integer not exactly representable");
    check_rejects("1e400", "out of the range");
    check_rejects("-1e400", "out of the range");
    check_rejects("1e-400", "would become 0");
    check_rejects("0.100000000000000000001", "more than 17 significant digits");
    // Exact or merely rounded (as any decimal fraction is) values pass.
    check(
        "[9007199254740992, 1E30, 4.50, 0.1, -0, 0.0e5, 333333333.33333329]",
        "[9007199254740992,1e+30,4.5,0.1,0,0,333333333.3333333]",
    );
}

#[test]
fn malformed_json_is_refused_with_offsets() {
    for (input, part) in [
        ("", "unexpected end"),
        ("{", "expected a member name"),
        ("[1,]", "unexpected character"),
        ("01", "trailing characters"),
        ("1.", "after the decimal point"),
        ("\"\\ud800\"", "lone high surrogate"),
        ("\"\\udc00\"", "lone low surrogate"),
        ("\"a\u{1}\"", "control character"),
        ("nul", "unknown literal"),
        ("[1] x", "trailing characters"),
        ("{\"a\" 1}", "expected ':'"),
    ] {
        check_rejects(input, part);
    }
    assert_eq!(
        parse(b"[1,]").unwrap_err(),
        JsonError::Syntax { offset: 3, reason: "unexpected character" }
    );
    assert!(matches!(
        parse(b"\"\xff\""),
        Err(JsonError::Syntax { reason: "invalid UTF-8 in string", .. })
    ));
}

#[test]
fn size_and_depth_limits_hold() {
    let limits = ParseLimits { max_bytes: 10, max_depth: 3 };
    assert_eq!(
        parse_with_limits(b"[1,2,3,4,5,6]", limits),
        Err(JsonError::TooLarge { size: 13, limit: 10 })
    );
    assert!(parse_with_limits(b"[[[1]]]", limits).is_ok());
    assert_eq!(
        parse_with_limits(b"[[[[1]]]]", limits),
        Err(JsonError::TooDeep { offset: 3, limit: 3 })
    );
    // The default depth limit protects against stack exhaustion.
    let deep = "[".repeat(100_000);
    assert!(matches!(parse(deep.as_bytes()), Err(JsonError::TooDeep { limit: 64, .. })));
}

#[test]
fn replacing_a_member_matches_canonicalizing_the_edited_object() {
    let value = parse(br#"{"z":1,"proof":[1],"a":{"b":2}}"#).unwrap();
    let members = value.as_object().unwrap();
    assert_eq!(to_canonical_replacing(members, "proof", None), br#"{"a":{"b":2},"z":1}"#);
    let replacement = Value::from(7);
    assert_eq!(
        to_canonical_replacing(members, "proof", Some(&replacement)),
        br#"{"a":{"b":2},"proof":7,"z":1}"#
    );
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        (-1e300f64..1e300).prop_map(Value::from),
        "\\PC{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("\\PC{0,5}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn canonical_form_is_a_fixed_point(value in arb_json()) {
        let once = to_canonical(&value);
        let reparsed = parse(&once).unwrap();
        prop_assert_eq!(to_canonical(&reparsed), once);
    }

    #[test]
    fn es6_numbers_round_trip(bits in any::<u64>()) {
        let value = f64::from_bits(bits);
        // -0 canonicalises to "0" (RFC 8785 §3.2.2.3), which reads back as +0.
        prop_assume!(value.is_finite() && value.to_bits() != (-0.0f64).to_bits());
        let text = es6_number(value);
        let back: f64 = text.parse().unwrap();
        // Round-tripping means the very same double: compare bits, not within a margin.
        prop_assert_eq!(back.to_bits(), value.to_bits(), "{} -> {}", value, text);
        // And the strict parser accepts what the canonicaliser writes.
        prop_assert!(parse(text.as_bytes()).is_ok(), "{}", text);
    }

    // Bounded fuzzing of the parser on arbitrary bytes: it returns a value or an error, never panics.
    #[test]
    fn parser_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse(&bytes);
    }

    #[test]
    fn parser_never_panics_on_json_like_bytes(text in "[\\[\\]{}\":,0-9eE.+\\-a-z\\\\ ]{0,64}") {
        if let Ok(value) = parse(text.as_bytes()) {
            prop_assert!(parse(&to_canonical(&value)).is_ok());
        }
    }
}
