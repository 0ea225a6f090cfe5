//! Cross-checks against the Python `matching` library on its own regression instance.
//!
//! Expected: Python `matching` 1.4.3, `HospitalResident.create_from_dictionaries(...,
//! clean=True).solve(optimal="resident" | "hospital")` with capacity 1 per hospital, as in
//! its test for issue #159; see tests/data/PROVENANCE.md.

use std::collections::BTreeMap;

use caravan_matching::{
    CallLimits, Instance, PriorityRule, ProgrammeSpec, StudentTable, deferred_acceptance,
    programme_proposing_da,
};
use caravan_types::CountryCode;
use serde_json::Value;

fn read_json(name: &str) -> Value {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).expect("test data is present");
    serde_json::from_str(&text).expect("test data is JSON")
}

fn lists(value: &Value) -> BTreeMap<usize, Vec<usize>> {
    value
        .as_object()
        .expect("an object of lists")
        .iter()
        .map(|(k, v)| {
            let list = v
                .as_array()
                .expect("a list")
                .iter()
                .map(|x| x.as_u64().expect("an index") as usize);
            (k.parse().expect("an index key"), list.collect())
        })
        .collect()
}

#[test]
fn hospital_resident_issue_159_matches_python_matching() {
    let data = read_json("hr_issue_159.json");
    let residents = lists(&data["residents"]);
    let hospitals = lists(&data["hospitals"]);
    let n_hospitals = hospitals.len();
    assert_eq!(hospitals.keys().copied().collect::<Vec<_>>(), (0..n_hospitals).collect::<Vec<_>>());

    // A pair is acceptable only when both sides list each other (the library's cleaning);
    // the hospital's rank becomes a score, higher for better.
    let mut table = StudentTable::new();
    let kz = CountryCode::parse("KZ").unwrap();
    let resident_ids: Vec<usize> = residents.keys().copied().collect();
    for (&r, list) in &residents {
        let choices = list.iter().filter_map(|&h| {
            let ranking = hospitals.get(&h)?;
            let pos = ranking.iter().position(|&x| x == r)?;
            Some((h, (ranking.len() - pos) as i64))
        });
        table.push(r as u64, kz, choices);
    }
    let programmes = vec![ProgrammeSpec { capacity: 1, quotas: None }; n_hospitals];
    let instance =
        Instance::new(&table, &programmes, &PriorityRule::default(), CallLimits::default())
            .unwrap();

    let expected = read_json("hr_issue_159_expected.json");
    for (optimal, m) in [
        ("resident", deferred_acceptance(&instance)),
        ("hospital", programme_proposing_da(&instance)),
    ] {
        let peer = expected[optimal].as_object().unwrap();
        let mut n_matched = 0;
        for (s, &r) in resident_ids.iter().enumerate() {
            let want = peer.get(&r.to_string()).and_then(Value::as_u64).map(|h| h as usize);
            assert_eq!(m.programme(&instance, s), want, "{optimal}-optimal, resident {r}");
            n_matched += usize::from(want.is_some());
        }
        assert_eq!(m.n_matched(), n_matched);
        assert!(n_matched > 30, "the instance is not trivial");
    }
}
