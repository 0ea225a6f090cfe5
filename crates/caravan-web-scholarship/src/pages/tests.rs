//! Unit tests of the scholarship pages: form ↔ spec conversion, errors mapped to form rows, strings.

use super::*;

fn pairs(items: &[(&str, &str)]) -> Pairs {
    items.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

#[test]
fn every_page_string_has_three_languages() {
    for key in PageKey::ALL {
        for (i, text) in caravan_web::i18n::Text::table(*key).iter().enumerate() {
            assert!(!text.is_empty(), "{key:?} lacks language {i}");
        }
    }
}

#[test]
fn a_call_form_round_trips_through_its_spec() {
    let spec = caravan_store::scholarship::sample_spec(
        OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("a valid time"),
    );
    let (back, rows) = spec_from_form(&spec_pairs(&spec)).expect("the form of a valid spec");
    assert_eq!(back, spec);
    assert_eq!(rows, (0..spec.programmes.len()).collect::<Vec<_>>());
}

#[test]
fn call_form_errors_name_the_field_and_row() {
    let mut form = blank_pairs();
    form.extend(pairs(&[
        ("title.en", "T"),
        ("title.ru", "Т"),
        ("title.zh", "标"),
        ("countries", "KZ"),
        ("application_deadline", "2027-03-01T12:00"),
        ("review_deadline", "2027-04-01T12:00"),
        ("programmes[2].name", "Hydrology"),
        ("programmes[2].university", "XJU"),
        ("programmes[2].host_country", "CN"),
        ("programmes[2].seats", "two"),
    ]));
    let err = spec_from_form(&form).unwrap_err();
    assert_eq!(err.field.as_deref(), Some("programmes[2].seats"));
    // The API names the first programme `programmes[0]`; the form shows it in row 2.
    form.retain(|(k, _)| k != "programmes[2].seats");
    form.push(("programmes[2].seats".into(), "0".into()));
    let mut bad_date = form.clone();
    bad_date.retain(|(k, _)| k != "review_deadline");
    bad_date.push(("review_deadline".into(), "next spring".into()));
    assert_eq!(spec_from_form(&bad_date).unwrap_err().field.as_deref(), Some("review_deadline"));
    let (spec, rows) = spec_from_form(&form).unwrap();
    assert_eq!(spec.programmes[0].id, 3);
    assert_eq!(spec.application_deadline.unix_timestamp(), 1_803_902_400);
    let api = crate::service::refused(caravan_scholarship::validate_spec(&spec).unwrap_err());
    assert_eq!(api.field.as_deref(), Some("programmes[0].seats"));
    assert_eq!(field_to_row(api, &rows).field.as_deref(), Some("programmes[2].seats"));
}

#[test]
fn quotas_are_written_as_country_equals_seats() {
    let quotas = parse_quotas("q", "KZ=2, uz=1").unwrap();
    assert_eq!(quotas.len(), 2);
    assert_eq!(quotas[&CountryCode::parse("UZ").unwrap()], 1);
    assert_eq!(parse_quotas("q", "KZ:2").unwrap_err().field.as_deref(), Some("q"));
}

#[test]
fn choices_keep_their_order_and_refuse_gaps() {
    let form = pairs(&[("choices[1]", "2"), ("choices[0]", "5"), ("choices[2]", "")]);
    assert_eq!(page_value("choices", &form).unwrap(), json!({"choices": [5, 2]}));
    let gap = pairs(&[("choices[0]", "5"), ("choices[1]", ""), ("choices[2]", "3")]);
    assert_eq!(page_value("choices", &gap).unwrap_err().field.as_deref(), Some("choices[1]"));
    let year = pairs(&[("graduation_year", "soon")]);
    assert_eq!(page_value("study", &year).unwrap_err().field.as_deref(), Some("graduation_year"));
}
