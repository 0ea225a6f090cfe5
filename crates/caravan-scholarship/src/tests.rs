use std::collections::{BTreeMap, HashMap};

use caravan_store::scholarship::{
    Application, ApplicationBody, ApplicationStatus, Call, CallProgramme, CallSpec, CallStatus,
    Criterion, Review, StudyPage, Trilingual,
};
use caravan_store::{OrgKind, Organisation, Role, User};
use caravan_types::CountryCode;
use time::OffsetDateTime;

use super::*;

fn cc(code: &str) -> CountryCode {
    CountryCode::parse(code).unwrap_or_else(|e| panic!("{code}: {e}"))
}

fn call(programmes: &[(u32, u32)]) -> Call {
    let at = OffsetDateTime::UNIX_EPOCH;
    Call {
        id: 1,
        org_id: 1,
        status: CallStatus::Published,
        spec: CallSpec {
            title: Trilingual { en: "T".into(), ru: "Т".into(), zh: "题".into() },
            countries: vec![cc("KZ"), cc("UZ")],
            levels: vec!["master".into()],
            application_deadline: at,
            review_deadline: at,
            required_documents: vec!["transcript".into()],
            max_choices: 3,
            programmes: programmes
                .iter()
                .map(|&(id, seats)| CallProgramme {
                    id,
                    name: format!("P{id}"),
                    university: "U".into(),
                    host_country: cc("CN"),
                    seats,
                    quotas: BTreeMap::new(),
                })
                .collect(),
            criteria: vec![
                Criterion { key: "merit".into(), name: "Merit".into(), weight: 2.0, max_score: 10 },
                Criterion { key: "fit".into(), name: "Fit".into(), weight: 1.0, max_score: 5 },
            ],
            reviewers_per_application: 2,
            conflict_same_country: false,
            disagreement_threshold: 1.5,
        },
        created_at: at,
    }
}

fn app(id: i64, applicant: i64, country: &str, choices: &[u32]) -> Application {
    Application {
        id,
        call_id: 1,
        applicant_id: applicant,
        country: cc(country),
        status: ApplicationStatus::Endorsed,
        body: ApplicationBody { personal: None, study: None, choices: choices.to_vec() },
        submitted_at: None,
        updated_at: OffsetDateTime::UNIX_EPOCH,
    }
}

fn review(id: i64, app: i64, reviewer: i64, merit: u32, fit: u32) -> Review {
    let scores = BTreeMap::from([("merit".to_owned(), merit), ("fit".to_owned(), fit)]);
    Review {
        id,
        application_id: app,
        reviewer_id: reviewer,
        scores: Some(scores),
        submitted_at: Some(OffsetDateTime::UNIX_EPOCH),
    }
}

fn user(id: i64, org: i64) -> User {
    User {
        id,
        username: format!("u{id}"),
        display_name: format!("U {id}"),
        org_id: org,
        role: Role::Reviewer,
        password_hash: String::new(),
        active: true,
        created_at: OffsetDateTime::UNIX_EPOCH,
    }
}

fn org(id: i64, name: &str, country: &str) -> Organisation {
    Organisation {
        id,
        name: name.into(),
        kind: OrgKind::EducationExchangeCenter,
        country: cc(country),
        created_at: OffsetDateTime::UNIX_EPOCH,
    }
}

#[test]
fn weighted_total_scales_each_criterion_to_its_weight() {
    let c = call(&[(1, 1)]);
    let scores = BTreeMap::from([("merit".to_owned(), 5), ("fit".to_owned(), 5)]);
    // merit 5/10 × 2 + fit 5/5 × 1 = 2.0; a missing criterion counts 0.
    assert!((weighted_total(&c, &scores) - 2.0).abs() < 1e-12);
    let partial = BTreeMap::from([("fit".to_owned(), 0)]);
    assert!(weighted_total(&c, &partial).abs() < 1e-12);
}

#[test]
fn z_scores_remove_a_reviewers_scale() {
    // Reviewer 10 scores harshly, reviewer 20 generously, but both put application 2 first:
    // after z-scores the two reviewers agree exactly.
    let c = call(&[(1, 1)]);
    let apps = [app(1, 101, "KZ", &[1]), app(2, 102, "KZ", &[1])];
    let reviews = [
        review(1, 1, 10, 2, 1),
        review(2, 2, 10, 4, 1),
        review(3, 1, 20, 8, 4),
        review(4, 2, 20, 10, 5),
    ];
    let ranking = rank(&c, &apps, &reviews);
    assert_eq!(ranking.rows[0].application_id, 2);
    assert_eq!(ranking.rows[0].rank, Some(1));
    for row in &ranking.rows {
        assert_eq!(row.reviews, 2);
        let z = &row.z_scores;
        assert!((z[0] - z[1]).abs() < 1e-12, "{z:?}");
        assert!((z[0].abs() - 1.0).abs() < 1e-12, "two reviews each: z is ±1, got {z:?}");
        assert!(!row.flagged);
    }
}

#[test]
fn disagreement_beyond_the_threshold_flags_a_third_review() {
    // Reviewer 10 prefers application 1, reviewer 20 application 2: z = +1/−1 against −1/+1,
    // a spread of 2 > 1.5.
    let c = call(&[(1, 1)]);
    let apps = [app(1, 101, "KZ", &[1]), app(2, 102, "KZ", &[1])];
    let reviews = [
        review(1, 1, 10, 9, 5),
        review(2, 2, 10, 1, 1),
        review(3, 1, 20, 1, 1),
        review(4, 2, 20, 9, 5),
    ];
    let ranking = rank(&c, &apps, &reviews);
    assert!(ranking.rows.iter().all(|r| r.flagged));
    // Equal scores (both 0): the smaller application id ranks first.
    assert_eq!(ranking.rows[0].application_id, 1);
    assert_eq!(ranking.rows[1].rank, Some(2));
}

#[test]
fn unreviewed_applications_have_no_rank_and_come_last() {
    let c = call(&[(1, 1)]);
    let apps = [app(1, 101, "KZ", &[1]), app(2, 102, "KZ", &[1])];
    let reviews = [review(1, 2, 10, 5, 5)];
    let ranking = rank(&c, &apps, &reviews);
    assert_eq!(ranking.rows[0].application_id, 2);
    assert_eq!(ranking.rows[0].rank, Some(1));
    assert!(ranking.rows[0].z_scores.iter().all(|z| z.abs() < 1e-12), "one review: z = 0");
    assert_eq!(ranking.rows[1].rank, None);
    assert_eq!(ranking.rows[1].score, None);
}

#[test]
fn conflicts_of_interest() {
    let mut c = call(&[(1, 1)]);
    let mut a = app(1, 101, "KZ", &[1]);
    a.body.study = Some(StudyPage {
        institution: " Al-Farabi University ".into(),
        degree: "BSc".into(),
        field: "Economics".into(),
        graduation_year: 2024,
    });
    let r = user(10, 5);
    assert!(!has_conflict(&r, &org(5, "Tsinghua", "CN"), 7, &a, &c));
    assert!(has_conflict(&r, &org(5, "Tsinghua", "CN"), 5, &a, &c), "same organisation");
    assert!(has_conflict(&r, &org(5, "al-farabi university", "CN"), 7, &a, &c), "institution");
    assert!(has_conflict(&user(101, 5), &org(5, "Tsinghua", "CN"), 7, &a, &c), "self");
    assert!(!has_conflict(&r, &org(5, "KazNU", "KZ"), 7, &a, &c));
    c.spec.conflict_same_country = true;
    assert!(has_conflict(&r, &org(5, "KazNU", "KZ"), 7, &a, &c), "same country when asked");
}

#[test]
fn assignment_skips_conflicts_and_balances_load() {
    let c = call(&[(1, 1)]);
    let apps = [app(1, 101, "KZ", &[1]), app(2, 102, "UZ", &[1])];
    let (u10, u20, u30) = (user(10, 1), user(20, 2), user(30, 3));
    let (o1, o2, o3) = (org(1, "A", "CN"), org(2, "B", "CN"), org(3, "C", "CN"));
    let reviewers = [
        Reviewer { user: &u10, org: &o1 },
        Reviewer { user: &u20, org: &o2 },
        Reviewer { user: &u30, org: &o3 },
    ];
    // Applicant 101 belongs to organisation 2: reviewer 20 may not review application 1.
    let applicant_org = HashMap::from([(101, 2), (102, 9)]);
    // Reviewer 10 already holds one review of application 2.
    let held =
        [Review { id: 1, application_id: 2, reviewer_id: 10, scores: None, submitted_at: None }];
    let ranking = rank(&c, &apps, &held);
    let plan = plan_assignments(&c, &apps, &held, &ranking, &reviewers, &applicant_org);
    // Application 1: reviewer 30 (load 0) then reviewer 10 (load 1); never 20.
    // Application 2: has 10; then 20 (load 0) rather than 30 (now load 1).
    assert_eq!(plan.assign, vec![(1, 30), (1, 10), (2, 20)]);
    assert!(plan.short.is_empty());
    // With one reviewer only, both applications are short and say by how much.
    let plan = plan_assignments(&c, &apps, &[], &ranking, &reviewers[1..2], &applicant_org);
    assert_eq!(
        plan.short,
        vec![
            ShortOfReviewers { application_id: 1, needed: 2, have: 0 },
            ShortOfReviewers { application_id: 2, needed: 2, have: 1 },
        ]
    );
}

#[test]
fn call_validation_names_the_field() {
    let mut c = call(&[(1, 2)]);
    assert_eq!(validate_spec(&c.spec), Ok(()));
    c.spec.programmes[0].quotas = BTreeMap::from([(cc("KZ"), 1)]);
    let err = validate_spec(&c.spec).unwrap_err();
    assert_eq!(err.field, "programmes[0].quotas");
    assert!(err.message.contains("sum to 1"), "{}", err.message);
    let mut c = call(&[(1, 2), (1, 3)]);
    assert_eq!(validate_spec(&c.spec).unwrap_err().field, "programmes[1].id");
    c.spec.programmes.pop();
    c.spec.criteria[1].weight = f64::NAN;
    assert_eq!(validate_spec(&c.spec).unwrap_err().field, "criteria[1].weight");
}

#[test]
fn application_checks_name_the_field() {
    let c = call(&[(1, 1), (2, 1)]);
    assert_eq!(check_choices(&[2, 1], &c), Ok(()));
    assert_eq!(check_choices(&[2, 2], &c).unwrap_err().field, "choices[1]");
    assert_eq!(check_choices(&[3], &c).unwrap_err().field, "choices[0]");
    let scores = BTreeMap::from([("merit".to_owned(), 11), ("fit".to_owned(), 1)]);
    assert_eq!(check_scores(&scores, &c).unwrap_err().field, "scores.merit");
    let scores = BTreeMap::from([("merit".to_owned(), 1), ("fit".to_owned(), 1), ("x".into(), 1)]);
    assert_eq!(check_scores(&scores, &c).unwrap_err().field, "scores.x");
    let a = app(1, 101, "KZ", &[]);
    assert_eq!(
        missing_parts(&a, &c, &[]),
        ["personal", "study", "choices", "documents.transcript"]
    );
}

#[test]
fn placement_and_the_explained_result() {
    // One seat; application 2 ranks first and takes it; application 1 is told the programme
    // was full at application 2's score.
    let c = call(&[(1, 1), (2, 1)]);
    let apps = [app(1, 101, "KZ", &[1]), app(2, 102, "KZ", &[1, 2])];
    let reviews = [review(1, 1, 10, 2, 1), review(2, 2, 10, 9, 5)];
    let ranking = rank(&c, &apps, &reviews);
    let req =
        PlaceRequest { mechanism: None, band: None, score_band: None, tie_break: None, seed: None };
    let result = run_placement(&c, &apps, &ranking, &req).expect("placement");
    assert_eq!(result.mechanism, "da");
    let placed: Vec<(i64, Option<u32>)> =
        result.applicants.iter().map(|a| (a.application_id, a.programme_id)).collect();
    assert_eq!(placed, vec![(2, Some(1)), (1, None)]);
    assert!(result.blocking_pairs.is_empty());
    assert_eq!(result.unplaced, 1);
    let view = result_of(&apps[0], &c, Some(&result));
    assert_eq!(view.programme_id, None);
    assert_eq!(view.score, Some(1));
    assert!(view.higher_choices[0].full);
    assert_eq!(view.higher_choices[0].cutoff_score, Some(2));
    assert!(view.explanation.starts_with("You are not placed."), "{}", view.explanation);
    let unpublished = result_of(&apps[0], &c, None);
    assert!(!unpublished.published);
    let bad = PlaceRequest { mechanism: Some("random".into()), ..req };
    assert_eq!(run_placement(&c, &apps, &ranking, &bad).unwrap_err().field, "mechanism");
}

#[test]
fn lottery_is_splitmix64() {
    // SplitMix64 from seed 0: the first output of the reference generator
    // (Steele, Lea and Flood 2014; Vigna's splitmix64.c) is 0xE220A8397B1DCDAF.
    assert_eq!(lottery(0, 1), vec![0xE220_A839_7B1D_CDAF]);
    assert_eq!(lottery(7, 5), lottery(7, 5));
    assert_ne!(lottery(7, 5), lottery(8, 5));
}
