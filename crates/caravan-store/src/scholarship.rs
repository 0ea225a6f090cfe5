//! Storage of the education exchange center (issue 9): calls, applications, documents, endorsements, reviews, placements.
//!
//! The store keeps records and their history; it decides nothing. Who may do what, deadlines,
//! review assignment, normalisation and placement live in the server and `caravan-matching`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use caravan_types::CountryCode;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{Change, StoreResult};

macro_rules! status_enum {
    ($(#[$meta:meta])* $ty:ident { $($variant:ident => $text:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $ty { $($variant),* }

        impl $ty {
            /// The stable text form used in storage and the API.
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $text),* }
            }

            /// Parses the text form.
            pub fn parse(text: &str) -> Option<$ty> {
                match text { $($text => Some($ty::$variant),)* _ => None }
            }
        }
    };
}

status_enum!(
    /// Where a call is in its life: drafted, open for applications, closed.
    CallStatus { Draft => "draft", Published => "published", Closed => "closed" }
);

status_enum!(
    /// Where an application is: being filled in, submitted, endorsed or declined by the
    /// nominating body of the applicant's country.
    ApplicationStatus {
        Draft => "draft",
        Submitted => "submitted",
        Endorsed => "endorsed",
        Declined => "declined",
    }
);

/// A text in the three interface languages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Trilingual {
    pub en: String,
    pub ru: String,
    pub zh: String,
}

/// One programme of a call: a host university's seats.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CallProgramme {
    /// Identifier within the call, referenced by applicants' choices.
    pub id: u32,
    pub name: String,
    pub university: String,
    /// The host university's country.
    #[schema(value_type = String)]
    pub host_country: CountryCode,
    pub seats: u32,
    /// Seats reserved per country (hard quotas); empty for one pool. When present they sum to
    /// `seats` and name all six countries of the mechanism.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, u32>)]
    pub quotas: BTreeMap<CountryCode, u32>,
}

/// A review criterion and its weight in the total score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Criterion {
    pub key: String,
    pub name: String,
    /// Weight in the weighted total (positive).
    pub weight: f64,
    /// Highest score a reviewer may give on this criterion (lowest is 0).
    pub max_score: u32,
}

/// Everything a programme administrator says about a call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CallSpec {
    pub title: Trilingual,
    /// Countries whose citizens may apply.
    #[schema(value_type = Vec<String>)]
    pub countries: Vec<CountryCode>,
    /// Study levels accepted (e.g. `bachelor`, `master`, `phd`).
    pub levels: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub application_deadline: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub review_deadline: OffsetDateTime,
    /// Kinds of PDF documents every application must carry (e.g. `transcript`).
    pub required_documents: Vec<String>,
    /// Longest ranked list of programmes an applicant may give.
    pub max_choices: u32,
    pub programmes: Vec<CallProgramme>,
    pub criteria: Vec<Criterion>,
    /// Reviewers per application.
    pub reviewers_per_application: u32,
    /// Conflict of interest: a reviewer never reviews an applicant of their own country.
    pub conflict_same_country: bool,
    /// Two reviewers' normalised totals further apart than this (in standard deviations)
    /// flag the application for a third review.
    pub disagreement_threshold: f64,
}

/// A call for applications.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Call {
    pub id: i64,
    /// The education exchange center that runs it.
    pub org_id: i64,
    pub status: CallStatus,
    pub spec: CallSpec,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

/// Page 1 of an application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PersonalPage {
    pub full_name: String,
    pub email: String,
    /// `YYYY-MM-DD`.
    pub date_of_birth: String,
    /// The level applied for; one of the call's levels.
    pub level: String,
}

/// Page 2 of an application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StudyPage {
    /// The applicant's current or last institution (a conflict-of-interest key).
    pub institution: String,
    pub degree: String,
    pub field: String,
    pub graduation_year: i32,
}

/// What an applicant has filled in so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApplicationBody {
    pub personal: Option<PersonalPage>,
    pub study: Option<StudyPage>,
    /// Programme ids of the call, best first.
    #[serde(default)]
    pub choices: Vec<u32>,
}

/// An application to a call.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Application {
    pub id: i64,
    pub call_id: i64,
    pub applicant_id: i64,
    /// The applicant's country (of their organisation).
    #[schema(value_type = String)]
    pub country: CountryCode,
    pub status: ApplicationStatus,
    pub body: ApplicationBody,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub submitted_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

/// An uploaded document, without its bytes.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DocumentMeta {
    pub id: i64,
    pub application_id: i64,
    pub kind: String,
    pub filename: String,
    pub size: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub uploaded_at: OffsetDateTime,
}

/// A document to store.
#[derive(Debug, Clone)]
pub struct NewDocument {
    pub application_id: i64,
    pub kind: String,
    pub filename: String,
    pub content: Vec<u8>,
}

/// A reviewer's assignment to an application and, once given, their scores.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Review {
    pub id: i64,
    pub application_id: i64,
    pub reviewer_id: i64,
    /// Score per criterion key, once submitted.
    pub scores: Option<BTreeMap<String, u32>>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub submitted_at: Option<OffsetDateTime>,
}

/// A placement run of a call; its result is kept as the server computed it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Placement {
    pub id: i64,
    pub call_id: i64,
    pub published: bool,
    #[schema(value_type = Object)]
    pub result: serde_json::Value,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

/// Storage of the education exchange center (issue 9). Every state-changing method appends
/// its audit entry (`scholarship.*`) in the same transaction.
#[async_trait]
pub trait ScholarshipStore: Send + Sync {
    async fn create_call(&self, change: &Change, org_id: i64, spec: &CallSpec)
    -> StoreResult<Call>;
    /// Replaces a draft call's spec; `Conflict` once the call is published or closed.
    async fn update_call(&self, change: &Change, id: i64, spec: &CallSpec) -> StoreResult<Call>;
    async fn set_call_status(
        &self,
        change: &Change,
        id: i64,
        status: CallStatus,
    ) -> StoreResult<Call>;
    async fn call(&self, id: i64) -> StoreResult<Option<Call>>;
    async fn calls(&self) -> StoreResult<Vec<Call>>;

    /// Starts an application; [`crate::StoreError::Conflict`] when the applicant already has
    /// one in this call.
    async fn create_application(
        &self,
        change: &Change,
        call_id: i64,
        applicant_id: i64,
        country: CountryCode,
    ) -> StoreResult<Application>;
    /// Saves the application's content; `page` names what was saved, for the audit log.
    async fn save_application(
        &self,
        change: &Change,
        id: i64,
        body: &ApplicationBody,
        page: &str,
    ) -> StoreResult<Application>;
    /// Moves an application to `status`; submitting stamps `submitted_at`.
    async fn set_application_status(
        &self,
        change: &Change,
        id: i64,
        status: ApplicationStatus,
    ) -> StoreResult<Application>;
    async fn application(&self, id: i64) -> StoreResult<Option<Application>>;
    /// Applications of a call, by id.
    async fn applications(&self, call_id: i64) -> StoreResult<Vec<Application>>;
    /// Applications of one applicant, over all calls.
    async fn applications_of(&self, applicant_id: i64) -> StoreResult<Vec<Application>>;

    async fn add_document(&self, change: &Change, doc: &NewDocument) -> StoreResult<DocumentMeta>;
    async fn documents(&self, application_id: i64) -> StoreResult<Vec<DocumentMeta>>;
    async fn document(&self, id: i64) -> StoreResult<Option<(DocumentMeta, Vec<u8>)>>;

    /// Assigns a reviewer; [`crate::StoreError::Conflict`] when already assigned.
    async fn assign_review(
        &self,
        change: &Change,
        application_id: i64,
        reviewer_id: i64,
    ) -> StoreResult<Review>;
    async fn submit_review(
        &self,
        change: &Change,
        review_id: i64,
        scores: &BTreeMap<String, u32>,
    ) -> StoreResult<Review>;
    async fn review(&self, id: i64) -> StoreResult<Option<Review>>;
    /// Every review of the applications of a call.
    async fn reviews(&self, call_id: i64) -> StoreResult<Vec<Review>>;

    async fn save_placement(
        &self,
        change: &Change,
        call_id: i64,
        result: &serde_json::Value,
    ) -> StoreResult<Placement>;
    async fn publish_placement(&self, change: &Change, id: i64) -> StoreResult<Placement>;
    /// Placement runs of a call, oldest first.
    async fn placements(&self, call_id: i64) -> StoreResult<Vec<Placement>>;
}

/// Hex SHA-256 of a document's content, as [`DocumentMeta::sha256`] holds it.
pub fn document_sha256(content: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(content))
}

/// A sample call spec, for tests.
pub fn sample_spec(deadline: OffsetDateTime) -> CallSpec {
    let country = |c: &str| CountryCode::parse(c).unwrap_or_else(|_| unreachable!("valid code"));
    CallSpec {
        title: Trilingual {
            en: "Talent scholarship".to_owned(),
            ru: "Стипендия талантов".to_owned(),
            zh: "人才奖学金".to_owned(),
        },
        countries: vec![country("KZ"), country("UZ")],
        levels: vec!["master".to_owned()],
        application_deadline: deadline,
        review_deadline: deadline + time::Duration::days(30),
        required_documents: vec!["transcript".to_owned()],
        max_choices: 2,
        programmes: vec![CallProgramme {
            id: 1,
            name: "Hydrology".to_owned(),
            university: "Xinjiang University".to_owned(),
            host_country: country("CN"),
            seats: 1,
            quotas: BTreeMap::new(),
        }],
        criteria: vec![Criterion {
            key: "merit".to_owned(),
            name: "Academic merit".to_owned(),
            weight: 1.0,
            max_score: 10,
        }],
        reviewers_per_application: 2,
        conflict_same_country: true,
        disagreement_threshold: 1.5,
    }
}

/// The conformance checks of this part of the port, run on every adapter.
pub async fn conformance(store: &dyn crate::Store) {
    use crate::conformance::t0;
    use crate::{Actor, NewOrganisation, NewUser, OrgKind, Role, StoreError};
    let change = Change { actor: Actor::system("test"), at: t0() };
    let kz = CountryCode::parse("KZ").expect("valid");
    let org = store
        .create_organisation(
            &change,
            &NewOrganisation {
                name: "Center".into(),
                kind: OrgKind::EducationExchangeCenter,
                country: kz,
            },
        )
        .await
        .expect("org");
    let user = |name: &str, role| NewUser {
        username: name.to_owned(),
        display_name: name.to_owned(),
        org_id: org.id,
        role,
        password_hash: "x".to_owned(),
    };
    let applicant = store.create_user(&change, &user("sch-a", Role::Applicant)).await.expect("a");
    let reviewer = store.create_user(&change, &user("sch-r", Role::Reviewer)).await.expect("r");

    let spec = sample_spec(t0() + time::Duration::days(10));
    let call = store.create_call(&change, org.id, &spec).await.expect("create call");
    assert_eq!(call.status, CallStatus::Draft);
    assert_eq!(store.call(call.id).await.expect("read").as_ref(), Some(&call));
    let mut changed = spec.clone();
    changed.max_choices = 3;
    let call = store.update_call(&change, call.id, &changed).await.expect("update");
    assert_eq!(call.spec.max_choices, 3);
    let call = store.set_call_status(&change, call.id, CallStatus::Published).await.expect("pub");
    assert_eq!(store.calls().await.expect("calls"), vec![call.clone()]);
    let late = store.update_call(&change, call.id, &spec).await;
    assert!(matches!(late, Err(StoreError::Conflict { .. })), "published: {late:?}");
    assert_eq!(store.call(call.id).await.expect("read").map(|c| c.spec.max_choices), Some(3));
    let missing = store.update_call(&change, 999_999, &spec).await;
    assert!(matches!(missing, Err(StoreError::NotFound { .. })), "{missing:?}");
    assert!(matches!(
        store.set_call_status(&change, 999_999, CallStatus::Closed).await,
        Err(StoreError::NotFound { .. })
    ));

    let app = store.create_application(&change, call.id, applicant.id, kz).await.expect("apply");
    assert_eq!(app.status, ApplicationStatus::Draft);
    assert!(matches!(
        store.create_application(&change, call.id, applicant.id, kz).await,
        Err(StoreError::Conflict { .. })
    ));
    let body = ApplicationBody {
        personal: None,
        study: Some(StudyPage {
            institution: "KazNU".into(),
            degree: "BSc".into(),
            field: "Physics".into(),
            graduation_year: 2025,
        }),
        choices: vec![1],
    };
    let app = store.save_application(&change, app.id, &body, "study").await.expect("save");
    assert_eq!(app.body, body);
    let app = store
        .set_application_status(&change, app.id, ApplicationStatus::Submitted)
        .await
        .expect("submit");
    assert_eq!(app.submitted_at, Some(crate::to_stored_resolution(t0())));
    assert_eq!(store.application(app.id).await.expect("read"), Some(app.clone()));
    assert_eq!(store.applications(call.id).await.expect("list"), vec![app.clone()]);
    assert_eq!(store.applications_of(applicant.id).await.expect("mine"), vec![app.clone()]);
    assert!(store.applications_of(reviewer.id).await.expect("none").is_empty());

    let content = b"%PDF-1.4\n%test\n".to_vec();
    let doc = store
        .add_document(
            &change,
            &NewDocument {
                application_id: app.id,
                kind: "transcript".into(),
                filename: "t.pdf".into(),
                content: content.clone(),
            },
        )
        .await
        .expect("doc");
    assert_eq!(doc.size, content.len() as i64);
    assert_eq!(doc.sha256.len(), 64);
    assert_eq!(store.documents(app.id).await.expect("docs"), vec![doc.clone()]);
    assert_eq!(store.document(doc.id).await.expect("doc"), Some((doc.clone(), content)));

    let review = store.assign_review(&change, app.id, reviewer.id).await.expect("assign");
    assert!(review.scores.is_none());
    assert!(matches!(
        store.assign_review(&change, app.id, reviewer.id).await,
        Err(StoreError::Conflict { .. })
    ));
    let scores = BTreeMap::from([("merit".to_owned(), 7u32)]);
    let review = store.submit_review(&change, review.id, &scores).await.expect("score");
    assert_eq!(review.scores.as_ref(), Some(&scores));
    assert_eq!(store.reviews(call.id).await.expect("reviews"), vec![review.clone()]);
    assert_eq!(store.review(review.id).await.expect("review"), Some(review));

    let result = serde_json::json!({"mechanism": "da", "placed": 1});
    let placement = store.save_placement(&change, call.id, &result).await.expect("place");
    assert!(!placement.published);
    let placement = store.publish_placement(&change, placement.id).await.expect("publish");
    assert!(placement.published);
    assert_eq!(store.placements(call.id).await.expect("runs"), vec![placement]);

    let log = store.audit_entries(0, 1000).await.expect("log");
    for action in [
        "scholarship.call.create",
        "scholarship.call.update",
        "scholarship.call.published",
        "scholarship.application.create",
        "scholarship.application.save",
        "scholarship.application.submitted",
        "scholarship.document.add",
        "scholarship.review.assign",
        "scholarship.review.submit",
        "scholarship.placement.run",
        "scholarship.placement.publish",
    ] {
        assert!(log.iter().any(|e| e.action == action), "no audit entry {action}");
    }
    crate::verify_audit_chain(&log).expect("chain intact");
}
