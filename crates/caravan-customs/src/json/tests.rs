use std::borrow::Cow;

use proptest::prelude::*;
use serde_json::{Value, json};

use super::Json;

fn parse(text: &str) -> Json<'_> {
    serde_json::from_str(text).unwrap()
}

#[test]
fn strings_without_escapes_borrow_from_the_text() {
    let text = r#"{"name":"Almaty Fruit","escaped":"line\nbreak","k\u0065y":1}"#;
    let json = parse(text);
    assert!(matches!(json.get("name"), Some(Json::String(Cow::Borrowed("Almaty Fruit")))));
    assert!(matches!(json.get("escaped"), Some(Json::String(Cow::Owned(s))) if s == "line\nbreak"));
    assert_eq!(json.get("key"), Some(&Json::Number(1.into())), "an escaped name is unescaped");
}

#[test]
fn a_repeated_name_reads_as_serde_json_reads_it() {
    let text = r#"{"a":1,"b":2,"a":3}"#;
    let json = parse(text);
    let value: Value = serde_json::from_str(text).unwrap();
    assert_eq!(json.get("a"), Some(&Json::Number(3.into())));
    assert_eq!(value["a"], json!(3));
    let Json::Object(object) = &json else { panic!("an object") };
    assert_eq!(object.keys().collect::<Vec<_>>(), ["a", "b"]);
    // Written once, with the value read: a document that reads back the same.
    let written = serde_json::to_string(&json).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&written).unwrap(), value);
}

#[test]
fn numbers_and_errors_are_serde_json_s() {
    for text in ["0", "-0", "12.50", "1e3", "-17", "18446744073709551615", "1.7976931348623157e308"]
    {
        let value: Value = serde_json::from_str(text).unwrap();
        assert_eq!(parse(text).to_string(), value.to_string(), "{text}");
    }
    for text in ["1e400", "[1,]", "{\"a\" 1}", "\"\\x\"", "nul"] {
        let ours = serde_json::from_str::<Json<'_>>(text).unwrap_err().to_string();
        let theirs = serde_json::from_str::<Value>(text).unwrap_err().to_string();
        assert_eq!(ours, theirs, "{text}");
    }
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        (-1e300f64..1e300).prop_map(|n| json!(n)),
        "\\PC{0,12}".prop_map(Value::String),
        "[a-z\"\\\\\n\u{0}\u{7f}é中]{0,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("[a-z_\"]{0,4}", inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

proptest! {
    /// Parsed and written back, any document is the text `serde_json::Value` writes after
    /// reading the same text, and the tree is the one `Json::from_value` borrows from it.
    #[test]
    fn round_trips_as_serde_json_value(value in any_json(), pretty in any::<bool>()) {
        let text = if pretty {
            serde_json::to_string_pretty(&value).unwrap()
        } else {
            serde_json::to_string(&value).unwrap()
        };
        // Read back by serde_json itself (its float reading is not an exact round trip).
        let value: Value = serde_json::from_str(&text).unwrap();
        let json: Json<'_> = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(serde_json::to_string(&json).unwrap(), serde_json::to_string(&value).unwrap());
        prop_assert_eq!(&json, &Json::from_value(&value));
        prop_assert_eq!(json.to_string(), value.to_string());
    }
}
