//! `caravan scholarship place` on textbook instances, every mechanism, lotteries, gzip.

use super::{Workspace, exit_code, rows, success};

/// Gale and Shapley (1962), Example 2, as CSV: the unique stable matching is αC, βD, γA, δB.
/// Students 1..4 are α..δ; a programme's score is 5 minus its rank of the student.
pub(crate) fn gale_shapley_example_2(ws: &Workspace) {
    ws.write("programmes.csv", "programme_id,capacity\nA,1\nB,1\nC,1\nD,1\n");
    ws.write(
        "students.csv",
        "student_id,country,p1,p2,p3,p4,s1,s2,s3,s4\n\
         1,KZ,A,B,C,D,2,2,3,2\n\
         2,KG,A,D,C,B,1,3,2,4\n\
         3,UZ,B,A,C,D,1,3,1,4\n\
         4,CN,D,B,C,A,1,3,4,4\n",
    );
}

#[test]
fn deferred_acceptance_finds_gale_shapley_unique_stable_matching() {
    let ws = Workspace::new();
    gale_shapley_example_2(&ws);
    for mechanism in ["da", "da-programme"] {
        let code = ws
            .run(&[
                "place",
                "--students",
                "{dir}/students.csv",
                "--programmes",
                "{dir}/programmes.csv",
                "--mechanism",
                mechanism,
                "--out",
                "{dir}/match.csv",
            ])
            .unwrap();
        assert_eq!(exit_code(code), success());
        assert_eq!(
            rows(&ws.read("match.csv")),
            ["1,C,3", "2,D,2", "3,A,2", "4,B,2"],
            "{mechanism}"
        );
    }
}

#[test]
fn every_mechanism_writes_every_student() {
    let ws = Workspace::new();
    // Two seats at X, none at Z; student 5 lists nothing, 4 lists only the full Z.
    ws.write("programmes.csv", "programme_id,capacity\nX,2\nY,1\nZ,0\n");
    ws.write(
        "students.csv",
        "student_id,country,p1,p2,s1,s2\n1,KZ,X,Y,50,10\n2,KZ,X,Y,60,20\n3,TJ,X,Y,70,30\n4,TM,Z,,5,\n5,CN,,,,\n",
    );
    let mut outputs = Vec::new();
    for mechanism in [
        &["--mechanism", "da"][..],
        &["--mechanism", "ia"],
        &["--mechanism", "ttc"],
        &["--mechanism", "serial"],
        &["--mechanism", "parallel", "--band", "1"],
        &["--mechanism", "da-programme"],
    ] {
        let mut args = vec![
            "place",
            "--students",
            "{dir}/students.csv",
            "--programmes",
            "{dir}/programmes.csv",
            "--out",
            "{dir}/m.csv",
        ];
        args.extend_from_slice(mechanism);
        assert_eq!(exit_code(ws.run(&args).unwrap()), success());
        let got = rows(&ws.read("m.csv"));
        // Students 2 and 3 have the best scores at X; 1 falls to Y; 4 and 5 are unmatched.
        assert_eq!(got, ["1,Y,2", "2,X,1", "3,X,1", "4,-1,0", "5,-1,0"], "{mechanism:?}");
        outputs.push(got);
    }
    assert_eq!(outputs.len(), 6);
}

#[test]
fn parallel_needs_a_band() {
    let ws = Workspace::new();
    gale_shapley_example_2(&ws);
    let err = ws
        .run(&[
            "place",
            "--students",
            "{dir}/students.csv",
            "--programmes",
            "{dir}/programmes.csv",
            "--mechanism",
            "parallel",
            "--out",
            "{dir}/m.csv",
        ])
        .unwrap_err();
    assert!(err.to_string().contains("--band"), "{err}");
    assert!(!ws.path("m.csv").exists());
}

#[test]
fn lotteries_and_gzipped_input() {
    let ws = Workspace::new();
    ws.write("programmes.csv", "programme_id,capacity\nX,1\nY,1\n");
    // Scores 57 and 55 share class 5 with W = 10; 42 is class 4.
    ws.write_gz(
        "students.csv.gz",
        "student_id,country,p1,p2,s1,s2\n1,KZ,X,Y,57,0\n2,KZ,X,Y,55,0\n3,UZ,X,,42,\n",
    );
    ws.write("lottery.csv", "student_id,stb,t1,t2\n1,0.9,0.2,0.5\n2,0.3,0.7,0.1\n3,0.1,0.0,\n");
    let base = [
        "place",
        "--students",
        "{dir}/students.csv.gz",
        "--programmes",
        "{dir}/programmes.csv",
        "--out",
        "{dir}/m.csv",
    ];
    // Without a lottery: higher score first.
    assert_eq!(exit_code(ws.run(&base).unwrap()), success());
    assert_eq!(rows(&ws.read("m.csv")), ["1,X,1", "2,Y,2", "3,-1,0"]);
    // Single: student 2 has the smaller stb in class 5.
    let mut args = base.to_vec();
    args.extend(["--lottery", "{dir}/lottery.csv", "--tie-break", "single", "--score-band", "10"]);
    assert_eq!(exit_code(ws.run(&args).unwrap()), success());
    assert_eq!(rows(&ws.read("m.csv")), ["1,Y,2", "2,X,1", "3,-1,0"]);
    // Multiple: at X student 1 drew t1 = 0.2 < 0.7.
    let mut args = base.to_vec();
    args.extend([
        "--lottery",
        "{dir}/lottery.csv",
        "--tie-break",
        "multiple",
        "--score-band",
        "10",
    ]);
    assert_eq!(exit_code(ws.run(&args).unwrap()), success());
    assert_eq!(rows(&ws.read("m.csv")), ["1,X,1", "2,Y,2", "3,-1,0"]);
    // A gzipped output reads back through the audit.
    let mut args = base.to_vec();
    args[6] = "{dir}/m.csv.gz";
    assert_eq!(exit_code(ws.run(&args).unwrap()), success());
    let code = ws
        .run(&[
            "audit",
            "--students",
            "{dir}/students.csv.gz",
            "--programmes",
            "{dir}/programmes.csv",
            "--matching",
            "{dir}/m.csv.gz",
        ])
        .unwrap();
    assert_eq!(exit_code(code), success());
}

#[test]
fn country_quotas_from_csv() {
    let ws = Workspace::new();
    ws.write(
        "programmes.csv",
        "programme_id,capacity,quota_CN,quota_KZ,quota_KG,quota_TJ,quota_TM,quota_UZ\nX,2,1,1,0,0,0,0\n",
    );
    ws.write("students.csv", "student_id,country,p1,s1\n1,CN,X,90\n2,CN,X,80\n3,KZ,X,10\n");
    let code = ws
        .run(&[
            "place",
            "--students",
            "{dir}/students.csv",
            "--programmes",
            "{dir}/programmes.csv",
            "--out",
            "{dir}/m.csv",
        ])
        .unwrap();
    assert_eq!(exit_code(code), success());
    assert_eq!(rows(&ws.read("m.csv")), ["1,X,1", "2,-1,0", "3,X,1"]);
}
