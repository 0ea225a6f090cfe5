//! Issue 9, "Bad input": clear errors naming the row and column, never a panic, no output.

use super::Workspace;

#[track_caller]
fn check(programmes: &str, students: &str, extra: &[&str], expect: &[&str]) {
    let ws = Workspace::new();
    ws.write("programmes.csv", programmes);
    ws.write("students.csv", students);
    let mut args = vec![
        "place",
        "--students",
        "{dir}/students.csv",
        "--programmes",
        "{dir}/programmes.csv",
        "--out",
        "{dir}/m.csv",
    ];
    args.extend_from_slice(extra);
    let err = ws.run(&args).expect_err("the input is invalid");
    let message = format!("{err:#}");
    for needle in expect {
        assert!(message.contains(needle), "expected {needle:?} in:\n{message}");
    }
    assert!(!ws.path("m.csv").exists(), "nothing is written for rejected input");
}

const PROGRAMMES: &str = "programme_id,capacity\nX,1\nY,2\n";

#[test]
fn unknown_programme_id() {
    check(
        PROGRAMMES,
        "student_id,country,p1,p2,s1,s2\n1,KZ,X,Q,1,2\n",
        &[],
        &["students.csv line 2, column p2", "unknown programme id \"Q\""],
    );
}

#[test]
fn duplicate_choice() {
    check(
        PROGRAMMES,
        "student_id,country,p1,p2,s1,s2\n1,KZ,X,Y,1,2\n2,KZ,Y,Y,1,2\n",
        &[],
        &["line 3, column p2", "already choice p1"],
    );
}

#[test]
fn negative_capacity() {
    check(
        "programme_id,capacity\nX,-3\n",
        "student_id,country,p1,s1\n1,KZ,X,1\n",
        &[],
        &["programmes.csv line 2, column capacity", "must be zero or more, got -3"],
    );
}

#[test]
fn quotas_that_do_not_sum_to_capacity() {
    check(
        "programme_id,capacity,quota_CN,quota_KZ,quota_KG,quota_TJ,quota_TM,quota_UZ\nX,5,1,1,1,1,0,0\n",
        "student_id,country,p1,s1\n1,KZ,X,1\n",
        &[],
        &["programmes.csv line 2, column quota_CN..quota_UZ", "quotas sum to 4, but capacity is 5"],
    );
}

#[test]
fn list_longer_than_the_call_allows() {
    check(
        PROGRAMMES,
        "student_id,country,p1,p2,s1,s2\n1,KZ,X,Y,1,2\n",
        &["--max-choices", "1"],
        &["line 2, column p2", "2 choices, but the call allows at most 1"],
    );
}

#[test]
fn scores_out_of_range() {
    check(
        PROGRAMMES,
        "student_id,country,p1,p2,s1,s2\n1,KZ,X,Y,-5,2000000000\n",
        &[],
        &[
            "line 2, column s1: score -5 is outside",
            "line 2, column s2: score 2000000000 is outside",
        ],
    );
    check(
        PROGRAMMES,
        "student_id,country,p1,s1\n1,KZ,X,7.5\n",
        &[],
        &["line 2, column s1", "whole-number score"],
    );
}

#[test]
fn malformed_rows() {
    check(
        PROGRAMMES,
        "student_id,country,p1,p2,s1,s2\nx,KZ,X,,1,\n",
        &[],
        &["line 2, column student_id"],
    );
    check(
        PROGRAMMES,
        "student_id,country,p1,p2,s1,s2\n1,Kazakhstan,X,,1,\n",
        &[],
        &["line 2, column country"],
    );
    check(
        PROGRAMMES,
        "student_id,country,p1,p2,s1,s2\n1,KZ,,Y,,1\n",
        &[],
        &["line 2, column p2", "without gaps"],
    );
    check(
        PROGRAMMES,
        "student_id,country,p1,p2,s1,s2\n1,KZ,X,,,\n",
        &[],
        &["line 2, column s1", "missing score"],
    );
    check(
        PROGRAMMES,
        "student_id,country,p1,s1\n1,KZ,X,1\n1,UZ,Y,1\n",
        &[],
        &["line 3, column student_id", "repeats line 2"],
    );
    check(
        PROGRAMMES,
        "student_id,country,p1,s1\n1,KZ,X\n",
        &[],
        &["students.csv", "as many cells as the header"],
    );
    check(PROGRAMMES, "student,country,p1,s1\n1,KZ,X,1\n", &[], &["no column student_id"]);
    check(
        "programme_id,capacity,quota_CN\nX,1,1\n",
        "student_id,country,p1,s1\n1,KZ,X,1\n",
        &[],
        &["1 of the 6 quota columns"],
    );
    check(
        "programme_id,capacity\nX,1\nX,2\n",
        "student_id,country,p1,s1\n1,KZ,X,1\n",
        &[],
        &["line 3, column programme_id", "repeats line 2"],
    );
    check(
        "programme_id,capacity,quota_CN,quota_KZ,quota_KG,quota_TJ,quota_TM,quota_UZ\nX,1,1,0,0,0,0,0\n",
        "student_id,country,p1,s1\n1,US,X,1\n",
        &[],
        &["line 2, column country", "US has no quota"],
    );
}

#[test]
fn bad_lottery() {
    let students = "student_id,country,p1,p2,s1,s2\n1,KZ,X,Y,1,2\n2,KZ,X,,1,\n";
    let ws = Workspace::new();
    ws.write("programmes.csv", PROGRAMMES);
    ws.write("students.csv", students);
    for (lottery, tie_break, needle) in [
        (
            "student_id,stb\n1,0.5\n",
            "single",
            "student 2 (students file line 3) has no lottery row",
        ),
        ("student_id,stb\n1,0.5\n2,-1\n", "single", "lottery.csv line 3, column stb"),
        (
            "student_id,stb,t1,t2\n1,0.5,1,\n2,1,1,\n",
            "multiple",
            "lottery.csv line 2, column t2: missing",
        ),
        ("student_id,stb\n1,0.5\n2,0.1\n7,0.3\n", "single", "line 4, column student_id"),
    ] {
        ws.write("lottery.csv", lottery);
        let err = ws
            .run(&[
                "place",
                "--students",
                "{dir}/students.csv",
                "--programmes",
                "{dir}/programmes.csv",
                "--lottery",
                "{dir}/lottery.csv",
                "--tie-break",
                tie_break,
                "--out",
                "{dir}/m.csv",
            ])
            .unwrap_err();
        assert!(format!("{err:#}").contains(needle), "{needle}: {err:#}");
    }
    let err = ws
        .run(&[
            "place",
            "--students",
            "{dir}/students.csv",
            "--programmes",
            "{dir}/programmes.csv",
            "--tie-break",
            "multiple",
            "--out",
            "{dir}/m.csv",
        ])
        .unwrap_err();
    assert!(err.to_string().contains("--lottery"), "{err}");
}

#[test]
fn missing_file_says_which() {
    let ws = Workspace::new();
    ws.write("programmes.csv", PROGRAMMES);
    let err = ws
        .run(&[
            "place",
            "--students",
            "{dir}/nope.csv",
            "--programmes",
            "{dir}/programmes.csv",
            "--out",
            "{dir}/m.csv",
        ])
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("cannot open") && format!("{err:#}").contains("nope.csv"),
        "{err:#}"
    );
}
