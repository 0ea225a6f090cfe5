//! The shipped samples validate; each invalid corpus file gives its snapshot of field errors.

use caravan_customs::validate_json;

use crate::fixture::{Fixture, samples};

#[test]
fn every_shipped_sample_validates() {
    let fixture = Fixture::load();
    for (name, text) in samples() {
        let declaration = validate_json(&text, &fixture.context())
            .unwrap_or_else(|errors| panic!("{name}: {errors:#?}"));
        assert!(!declaration.items.is_empty(), "{name}");
    }
}

#[test]
fn invalid_corpus_error_lists() {
    let fixture = Fixture::load();
    insta::glob!("../data/invalid", "*.json", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let errors = validate_json(&text, &fixture.context()).unwrap_err();
        assert!(!errors.is_empty());
        insta::assert_json_snapshot!(errors);
    });
}
