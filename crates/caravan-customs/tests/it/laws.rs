//! Laws of validation as proptest properties: any input either validates or yields at least one
//! error, every error names a real path of the input, and nothing panics on arbitrary JSON.

use caravan_customs::validate::ROOT_PATH;
use caravan_customs::{ErrorCode, validate_json, validate_value};
use proptest::prelude::*;
use serde_json::Value;

use crate::fixture::{Fixture, samples};

/// One step of a field path.
#[derive(Debug)]
enum Step<'p> {
    Key(&'p str),
    Index(usize),
}

/// Splits `items[3].quantity.unit` into steps; `None` for a path of the wrong shape.
fn steps(path: &str) -> Option<Vec<Step<'_>>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = part.split_once('[').map_or((part, ""), |(key, rest)| (key, rest));
        if key.is_empty() {
            return None;
        }
        out.push(Step::Key(key));
        while !rest.is_empty() {
            let (idx, after) = rest.split_once(']')?;
            out.push(Step::Index(idx.parse().ok()?));
            rest = after.strip_prefix('[').unwrap_or(after);
        }
    }
    Some(out)
}

fn lookup<'v>(value: &'v Value, steps: &[Step<'_>]) -> Option<&'v Value> {
    steps.iter().try_fold(value, |node, step| match step {
        Step::Key(key) => node.get(*key),
        Step::Index(idx) => node.get(*idx),
    })
}

/// A path is real when it leads to a value of the input, or, for a missing field, to an
/// object that lacks it.
fn path_is_real(input: &Value, path: &str, code: ErrorCode) -> bool {
    if path == ROOT_PATH {
        return true;
    }
    let Some(steps) = steps(path) else { return false };
    if code == ErrorCode::Missing {
        let (last, parent) = steps.split_last().expect("steps are never empty");
        matches!(last, Step::Key(_)) && lookup(input, parent).is_some_and(Value::is_object)
    } else {
        lookup(input, &steps).is_some()
    }
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |x| x.is_finite()).prop_map(Value::from),
        "[A-Z0-9 .-]{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "KZ",
            "CN",
            "USD",
            "KGM",
            "0808108000",
            "2026-11-20",
            "4000",
            "IM",
            "1",
            "CT",
            "861"
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Every (pointer to a) leaf or subtree of a value, as JSON pointers.
fn pointers(value: &Value, prefix: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let pointer = format!("{prefix}/{key}");
                out.push(pointer.clone());
                pointers(child, pointer, out);
            }
        }
        Value::Array(entries) => {
            for (idx, child) in entries.iter().enumerate() {
                let pointer = format!("{prefix}/{idx}");
                out.push(pointer.clone());
                pointers(child, pointer, out);
            }
        }
        _ => {}
    }
}

#[track_caller]
fn check_law(input: &Value, fixture: &Fixture) -> Result<(), TestCaseError> {
    let result = validate_value(input, &fixture.context());
    // The text read straight into a borrowed tree (the lodging path) gives the same verdict.
    let text = serde_json::to_string(input).expect("a Value serialises");
    prop_assert_eq!(&validate_json(&text, &fixture.context()), &result);
    match result {
        Ok(declaration) => {
            // A checked declaration serialises back to something that validates to itself.
            let again = validate_value(
                &serde_json::to_value(&declaration).expect("serialises"),
                &fixture.context(),
            );
            prop_assert_eq!(again.as_ref().ok(), Some(&declaration));
        }
        Err(errors) => {
            prop_assert!(!errors.is_empty());
            for err in &errors {
                prop_assert!(
                    path_is_real(input, &err.path, err.code),
                    "{} does not name a real path of {}",
                    err.path,
                    input
                );
                prop_assert!(!err.reason.is_empty());
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_json_validates_or_names_real_paths(input in any_json()) {
        check_law(&input, Fixture::shared())?;
    }

    #[test]
    fn mutated_samples_validate_or_name_real_paths(
        sample_idx in 0usize..3,
        pick in any::<prop::sample::Index>(),
        replacement in any_json(),
        delete in any::<bool>(),
    ) {
        let fixture = Fixture::shared();
        let (_, text) = samples().swap_remove(sample_idx);
        let mut input: Value = serde_json::from_str(&text).unwrap();
        let mut all = Vec::new();
        pointers(&input, String::new(), &mut all);
        let pointer = pick.get(&all).clone();
        let (parent_pointer, key) = pointer.rsplit_once('/').unwrap();
        let parent = input.pointer_mut(parent_pointer).unwrap();
        match parent {
            Value::Object(map) if delete => { map.shift_remove(key); }
            _ => { *input.pointer_mut(&pointer).unwrap() = replacement; }
        }
        check_law(&input, fixture)?;
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,200}") {
        let fixture = Fixture::shared();
        let res = validate_json(&text, &fixture.context());
        prop_assert!(res.is_ok() || res.as_ref().is_err_and(|errors| !errors.is_empty()));
    }
}
