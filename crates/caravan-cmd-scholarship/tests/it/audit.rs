//! `caravan scholarship audit`: exit status, cutoffs, comparison.

use super::place::gale_shapley_example_2;
use super::{Workspace, exit_code, failure, success};

const AUDIT: [&str; 5] =
    ["audit", "--students", "{dir}/students.csv", "--programmes", "{dir}/programmes.csv"];

#[test]
fn a_stable_placement_passes_and_an_unstable_one_fails() {
    let ws = Workspace::new();
    gale_shapley_example_2(&ws);
    ws.write("stable.csv", "student_id,programme_id,rank\n1,C,3\n2,D,2\n3,A,2\n4,B,2\n");
    let mut args = AUDIT.to_vec();
    args.extend(["--matching", "{dir}/stable.csv", "--cutoffs", "{dir}/cutoffs.csv"]);
    assert_eq!(exit_code(ws.run(&args).unwrap()), success());
    let cutoffs = std::fs::read_to_string(ws.path("cutoffs.csv")).unwrap();
    let lines: Vec<&str> = cutoffs.lines().collect();
    assert_eq!(lines[0], "programme_id,country,seats,placed,last_student_id,last_score,binding");
    // Programme A holds student 3 (γ), whom it gave score 3.
    assert_eq!(lines[1], "A,,1,1,3,3,true");
    assert_eq!(lines.len(), 5);

    // Everyone unmatched: every choice is a free seat, so every pair blocks.
    ws.write("empty.csv", "student_id,programme_id,rank\n1,-1,0\n2,-1,0\n3,-1,0\n4,-1,0\n");
    let mut args = AUDIT.to_vec();
    args.extend(["--matching", "{dir}/empty.csv", "--compare", "{dir}/stable.csv"]);
    assert_eq!(exit_code(ws.run(&args).unwrap()), failure());

    // A perfect matching other than the unique stable one is unstable.
    ws.write("unstable.csv", "student_id,programme_id,rank\n1,A,1\n2,D,2\n3,B,1\n4,C,3\n");
    let mut args = AUDIT.to_vec();
    args.extend(["--matching", "{dir}/unstable.csv"]);
    assert_eq!(exit_code(ws.run(&args).unwrap()), failure());
}

#[test]
fn over_capacity_fails_the_audit() {
    let ws = Workspace::new();
    gale_shapley_example_2(&ws);
    ws.write("over.csv", "student_id,programme_id,rank\n1,A,1\n2,A,1\n3,B,1\n4,D,1\n");
    let mut args = AUDIT.to_vec();
    args.extend(["--matching", "{dir}/over.csv"]);
    assert_eq!(exit_code(ws.run(&args).unwrap()), failure());
}

#[test]
fn a_placement_that_does_not_fit_the_students_is_rejected() {
    let ws = Workspace::new();
    gale_shapley_example_2(&ws);
    for (text, needle) in [
        ("student_id,programme_id,rank\n1,C,2\n2,D,2\n3,A,2\n4,B,2\n", "line 2, column rank"),
        (
            "student_id,programme_id,rank\n1,C,3\n2,D,2\n3,A,2\n",
            "student 4 (students file line 5) has no row",
        ),
        (
            "student_id,programme_id,rank\n1,C,3\n2,D,2\n3,A,2\n4,B,2\n9,A,1\n",
            "line 6, column student_id",
        ),
        (
            "student_id,programme_id,rank\n1,Q,3\n2,D,2\n3,A,2\n4,B,2\n",
            "line 2, column programme_id: unknown programme",
        ),
        ("student_id,programme_id,rank\n1,-1,2\n2,D,2\n3,A,2\n4,B,2\n", "line 2, column rank"),
    ] {
        ws.write("m.csv", text);
        let mut args = AUDIT.to_vec();
        args.extend(["--matching", "{dir}/m.csv"]);
        let err = ws.run(&args).unwrap_err();
        assert!(format!("{err:#}").contains(needle), "{needle}: {err:#}");
    }
}
