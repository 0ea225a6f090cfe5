//! Cross-check against a peer tool: on a 2,000 x 40 instance the student-proposing
//! placement is byte for byte the resident-optimal matching of Python `matching` 1.4.3
//! (tests/data/PROVENANCE.md).

use super::{Workspace, exit_code, success};

fn data(name: &str) -> String {
    format!("{}/tests/data/peer_2000x40/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn deferred_acceptance_equals_python_matching_resident_optimal() {
    let ws = Workspace::new();
    let students = data("students.csv.gz");
    let programmes = data("programmes.csv");
    let out = ws.path("ours.csv");
    let out = out.to_str().unwrap();
    let code = ws
        .run(&["place", "--students", &students, "--programmes", &programmes, "--out", out])
        .unwrap();
    assert_eq!(exit_code(code), success());
    // Expected: Python `matching` 1.4.3, HospitalResident.solve(optimal="resident").
    let expected = std::fs::read_to_string(data("python_matching_1.4.3.csv")).unwrap();
    let ours = ws.read("ours.csv");
    assert_eq!(ours.lines().count(), 2001);
    assert!(ours == expected, "placement differs from Python matching 1.4.3");

    // The peer's answer passes our audit; the parallel mechanism with e = L equals it.
    let peer = data("python_matching_1.4.3.csv");
    let code = ws
        .run(&["audit", "--students", &students, "--programmes", &programmes, "--matching", &peer])
        .unwrap();
    assert_eq!(exit_code(code), success());
    let code = ws
        .run(&[
            "place",
            "--students",
            &students,
            "--programmes",
            &programmes,
            "--mechanism",
            "parallel",
            "--band",
            "10",
            "--out",
            out,
        ])
        .unwrap();
    assert_eq!(exit_code(code), success());
    assert!(ws.read("ours.csv") == expected);
}
