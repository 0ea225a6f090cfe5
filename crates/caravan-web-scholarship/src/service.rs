//! The scholarship programme's operations, one typed function per operation:
//! `(state, caller, input) -> Result<output, ApiError>`, each checking the caller's rights first
//! (the `can_…` policy functions are here too). The JSON API (the crate root's handlers) and
//! the pages (`pages`) are thin adapters over these functions; the programme's rules themselves
//! live in the `caravan-scholarship` domain crate. Nothing here knows HTTP: no extractor, no
//! response, no status code but through [`ApiError`]'s constructors.

use std::collections::{BTreeMap, HashMap};

use caravan_scholarship::{
    ChoicesPage, Invalid, PlacementResult, Ranking, ResultView, Reviewer, check_choices,
    check_personal, check_scores, check_study, check_text, missing_parts, plan_assignments, rank,
    result_of, run_placement, validate_spec,
};
use caravan_store::scholarship::{
    Application, ApplicationBody, ApplicationStatus, Call, CallSpec, CallStatus, DocumentMeta,
    NewDocument, PersonalPage, Placement, Review, StudyPage,
};
use caravan_store::{Change, OrgKind, Role, User};

use caravan_web::AppState;
use caravan_web::auth::Caller;
use caravan_web::error::ApiError;

use crate::{
    ApplicationView, AssignmentReport, BlindApplication, BlindStudy, EndorseRequest, PlaceRequest,
    PlacementView, ScoreRequest, StatKey, StatRow, StatusRequest, rfc3339,
};

/// What the scholarships page shows its visitor: the calls they may see, their own
/// applications with each one's call, result and missing parts, and (reviewers) their reviews.
pub struct Home {
    pub calls: Vec<Call>,
    pub mine: Vec<MyApplication>,
    pub reviews: Vec<Review>,
}

/// One of the caller's applications on [`Home`].
pub struct MyApplication {
    pub app: Application,
    pub call: Call,
    pub result: ResultView,
    pub missing: Vec<String>,
}

/// The caller's [`Home`].
///
/// # Errors
/// Store failures.
pub async fn home(state: &AppState, caller: &Caller) -> Result<Home, ApiError> {
    let calls: Vec<Call> =
        state.store.calls().await?.into_iter().filter(|c| can_read_call(caller, c)).collect();
    let mut mine = Vec::new();
    for app in state.store.applications_of(caller.user.id).await? {
        if let Some(call) = calls.iter().find(|c| c.id == app.call_id) {
            let published = published_result(state, call.id).await?;
            let docs = state.store.documents(app.id).await?;
            mine.push(MyApplication {
                result: result_of(&app, call, published.as_ref()),
                missing: missing_parts(&app, call, &docs),
                call: call.clone(),
                app,
            });
        }
    }
    let reviews = if caller.user.role == Role::Reviewer {
        my_reviews(state, caller).await?
    } else {
        Vec::new()
    };
    Ok(Home { calls, mine, reviews })
}

/// The call of application `id` when the caller endorses for it (to show its nominations
/// again after a refused decision); `None` otherwise.
///
/// # Errors
/// Store failures.
pub async fn endorsable_call_of(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<Option<i64>, ApiError> {
    Ok(state.store.application(id).await?.filter(|app| can_endorse(caller, app)).map(|a| a.call_id))
}

/// A managed call's applications and placement runs, for its administration page.
///
/// # Errors
/// As [`load_managed_call`]; store failures.
pub async fn managed_call(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<(Call, Vec<Application>, Ranking, Vec<PlacementView>), ApiError> {
    let call = load_managed_call(state, caller, id).await?;
    let apps = state.store.applications(id).await?;
    let (_, ranking) = call_ranking(state, &call).await?;
    let runs = state
        .store
        .placements(id)
        .await?
        .into_iter()
        .map(placement_view)
        .collect::<Result<_, _>>()?;
    Ok((call, apps, ranking, runs))
}

/// Does the caller have a part in scholarship programmes? Applicants, reviewers, the centers'
/// programme administrators, and the administrators of nominating bodies (who endorse), of
/// universities (who host) and of the platform operator.
pub fn takes_part(caller: &Caller) -> bool {
    matches!(caller.user.role, Role::Applicant | Role::Reviewer | Role::ProgrammeAdmin)
        || (caller.is_admin()
            && matches!(
                caller.org.kind,
                OrgKind::NominatingBody
                    | OrgKind::University
                    | OrgKind::EducationExchangeCenter
                    | OrgKind::PlatformOperator
            ))
}

/// May the caller open calls? Programme administrators of an education exchange center.
pub fn can_open_call(caller: &Caller) -> bool {
    caller.user.role == Role::ProgrammeAdmin && caller.org.kind == OrgKind::EducationExchangeCenter
}

/// May the caller run `call` (publish, assign, rank, place)? Its center's administrators.
pub fn can_manage_call(caller: &Caller, call: &Call) -> bool {
    can_open_call(caller) && caller.org.id == call.org_id
}

/// May the caller see `call`? Anyone logged in once published; its center while a draft.
pub fn can_read_call(caller: &Caller, call: &Call) -> bool {
    call.status != CallStatus::Draft || can_manage_call(caller, call)
}

/// May the caller apply to `call`? An applicant from one of its countries, while published.
pub fn can_apply(caller: &Caller, call: &Call) -> bool {
    caller.user.role == Role::Applicant
        && call.status == CallStatus::Published
        && call.spec.countries.contains(&caller.org.country)
}

/// May the caller read `app` with the applicant's identity? The applicant; the call's center;
/// the nominating body of the applicant's country.
pub fn can_read_application(caller: &Caller, app: &Application, call: &Call) -> bool {
    caller.user.id == app.applicant_id || can_manage_call(caller, call) || can_endorse(caller, app)
}

/// May the caller change `app`'s pages and documents? Only the applicant, only as a draft.
pub fn can_edit_application(caller: &Caller, app: &Application) -> bool {
    caller.user.id == app.applicant_id && app.status == ApplicationStatus::Draft
}

/// May the caller endorse or decline `app`? The administrators of the nominating body of the
/// applicant's country (not its reviewers, who see applications only blind, through reviews).
pub fn can_endorse(caller: &Caller, app: &Application) -> bool {
    caller.user.role == Role::Admin
        && caller.org.kind == OrgKind::NominatingBody
        && caller.org.country == app.country
}

/// May the caller see and score `review`? Only the reviewer it is assigned to.
pub fn can_review(caller: &Caller, review: &Review) -> bool {
    caller.user.role == Role::Reviewer && caller.user.id == review.reviewer_id
}

pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> ApiError {
    ApiError::unprocessable("scholarship.invalid", message).with_field(field)
}

/// A domain check's refusal as the API answers it: 422 `scholarship.invalid` naming the field.
pub(crate) fn refused(err: Invalid) -> ApiError {
    invalid(err.field, err.message)
}

pub(crate) fn conflict(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::conflict(code, message)
}

pub(crate) fn store_err(err: caravan_store::StoreError) -> ApiError {
    ApiError::from(err)
}

pub(crate) async fn load_call(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<Call, ApiError> {
    let call = state.store.call(id).await.map_err(store_err)?;
    match call {
        Some(call) if can_read_call(caller, &call) => Ok(call),
        _ => {
            Err(ApiError::not_found("scholarship.no_call", format!("no call {id}"))
                .with_field("id"))
        }
    }
}

pub(crate) async fn load_managed_call(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<Call, ApiError> {
    let call = load_call(state, caller, id).await?;
    if !can_manage_call(caller, &call) {
        return Err(ApiError::forbidden(
            "only the programme administrators of the call's center may do this",
        ));
    }
    Ok(call)
}

/// The application and its call, when the caller may read it.
pub(crate) async fn load_application(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<(Application, Call), ApiError> {
    let app = state.store.application(id).await?.ok_or_else(|| {
        ApiError::not_found("scholarship.no_application", format!("no application {id}"))
            .with_field("id")
    })?;
    let call = state
        .store
        .call(app.call_id)
        .await?
        .ok_or_else(|| ApiError::internal("application without call"))?;
    if !can_read_application(caller, &app, &call) {
        return Err(ApiError::forbidden(
            "you may read only your own application, or those of your country as its nominating body",
        ));
    }
    Ok((app, call))
}

pub(crate) fn change(state: &AppState, caller: &Caller) -> Change {
    Change { actor: caller.actor(), at: (state.clock)() }
}

pub(crate) fn before_deadline(state: &AppState, call: &Call) -> Result<(), ApiError> {
    if (state.clock)() > call.spec.application_deadline {
        return Err(conflict(
            "scholarship.deadline_passed",
            format!(
                "the application deadline ({}) has passed",
                rfc3339(call.spec.application_deadline)
            ),
        ));
    }
    Ok(())
}

pub(crate) async fn view_of(
    state: &AppState,
    app: Application,
    call: &Call,
) -> Result<ApplicationView, ApiError> {
    let documents = state.store.documents(app.id).await?;
    let missing = missing_parts(&app, call, &documents);
    Ok(ApplicationView { application: app, documents, missing })
}

pub(crate) async fn load_editable(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<(Application, Call), ApiError> {
    let (app, call) = load_application(state, caller, id).await?;
    if caller.user.id != app.applicant_id {
        return Err(ApiError::forbidden("only the applicant may change an application"));
    }
    if !can_edit_application(caller, &app) {
        return Err(conflict(
            "scholarship.already_submitted",
            "the application was submitted and can no longer change",
        ));
    }
    before_deadline(state, &call)?;
    Ok((app, call))
}

pub(crate) fn parse_page<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|e| {
        let text = e.to_string();
        let field = text
            .split_once("missing field `")
            .and_then(|(_, rest)| rest.split_once('`'))
            .map_or_else(|| "body".to_owned(), |(f, _)| f.to_owned());
        invalid(field, text)
    })
}

pub(crate) fn apply_page(
    mut body: ApplicationBody,
    page: &str,
    value: serde_json::Value,
    call: &Call,
) -> Result<ApplicationBody, ApiError> {
    match page {
        "personal" => {
            let personal: PersonalPage = parse_page(value)?;
            check_personal(&personal, call).map_err(refused)?;
            body.personal = Some(personal);
        }
        "study" => {
            let study: StudyPage = parse_page(value)?;
            check_study(&study).map_err(refused)?;
            body.study = Some(study);
        }
        "choices" => {
            let choices: ChoicesPage = parse_page(value)?;
            check_choices(&choices.choices, call).map_err(refused)?;
            body.choices = choices.choices;
        }
        other => {
            return Err(ApiError::not_found(
                "scholarship.no_page",
                format!("no page {other:?}; the pages are personal, study, choices"),
            )
            .with_field("page"));
        }
    }
    Ok(body)
}

pub(crate) fn check_document_kind(call: &Call, kind: &str) -> Result<(), ApiError> {
    if !call.spec.required_documents.iter().any(|k| k == kind) {
        return Err(invalid(
            "kind",
            format!(
                "the call asks for these documents: {}",
                call.spec.required_documents.join(", ")
            ),
        ));
    }
    Ok(())
}

pub(crate) async fn blind_view(
    state: &AppState,
    review: &Review,
) -> Result<BlindApplication, ApiError> {
    let app = state
        .store
        .application(review.application_id)
        .await?
        .ok_or_else(|| ApiError::internal("review without application"))?;
    let call = state
        .store
        .call(app.call_id)
        .await?
        .ok_or_else(|| ApiError::internal("application without call"))?;
    let documents = state.store.documents(app.id).await?.into_iter().map(|d| d.id).collect();
    Ok(BlindApplication {
        review_id: review.id,
        call_id: call.id,
        call_title: call.spec.title.en.clone(),
        level: app.body.personal.as_ref().map(|p| p.level.clone()),
        study: app.body.study.as_ref().map(|s| BlindStudy {
            degree: s.degree.clone(),
            field: s.field.clone(),
            graduation_year: s.graduation_year,
        }),
        choices: app
            .body
            .choices
            .iter()
            .filter_map(|id| call.spec.programmes.iter().find(|p| p.id == *id))
            .map(|p| format!("{} ({})", p.name, p.university))
            .collect(),
        documents,
        criteria: call.spec.criteria.clone(),
        scores: review.scores.clone(),
    })
}

pub(crate) async fn my_reviews(state: &AppState, caller: &Caller) -> Result<Vec<Review>, ApiError> {
    let mut mine = Vec::new();
    for call in state.store.calls().await? {
        mine.extend(
            state.store.reviews(call.id).await?.into_iter().filter(|r| can_review(caller, r)),
        );
    }
    Ok(mine)
}

pub(crate) async fn load_review(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<Review, ApiError> {
    let review = state.store.review(id).await?.ok_or_else(|| {
        ApiError::not_found("scholarship.no_review", format!("no review {id}")).with_field("id")
    })?;
    if !can_review(caller, &review) {
        return Err(ApiError::forbidden("this review is assigned to another reviewer"));
    }
    Ok(review)
}

pub(crate) async fn call_ranking(
    state: &AppState,
    call: &Call,
) -> Result<(Vec<Application>, Ranking), ApiError> {
    let apps: Vec<Application> = state
        .store
        .applications(call.id)
        .await?
        .into_iter()
        .filter(|a| a.status == ApplicationStatus::Endorsed)
        .collect();
    let reviews = state.store.reviews(call.id).await?;
    let ranking = rank(call, &apps, &reviews);
    Ok((apps, ranking))
}

pub(crate) fn placement_view(p: Placement) -> Result<PlacementView, ApiError> {
    let result = serde_json::from_value(p.result).map_err(ApiError::internal)?;
    Ok(PlacementView { id: p.id, call_id: p.call_id, published: p.published, result })
}

/// The result of a call's published placement run, if one is published.
pub(crate) async fn published_result(
    state: &AppState,
    call_id: i64,
) -> Result<Option<PlacementResult>, ApiError> {
    let published = state.store.placements(call_id).await?.into_iter().find(|p| p.published);
    Ok(published.map(placement_view).transpose()?.map(|view| view.result))
}

pub(crate) async fn statistics_rows(state: &AppState) -> Result<Vec<StatRow>, ApiError> {
    let mut rows: BTreeMap<StatKey, (u64, u64)> = BTreeMap::new();
    for call in state.store.calls().await?.into_iter().filter(|c| c.status != CallStatus::Draft) {
        let year = call.spec.application_deadline.year();
        let apps = state.store.applications(call.id).await?;
        for app in apps.iter().filter(|a| a.status != ApplicationStatus::Draft) {
            for pid in &app.body.choices {
                if let Some(p) = call.spec.programmes.iter().find(|p| p.id == *pid) {
                    rows.entry((
                        year,
                        call.id,
                        p.name.clone(),
                        app.country.to_string(),
                        p.host_country.to_string(),
                    ))
                    .or_default()
                    .0 += 1;
                }
            }
        }
        if let Some(run) = state.store.placements(call.id).await?.into_iter().find(|p| p.published)
        {
            let run = placement_view(run)?;
            for a in &run.result.applicants {
                if let Some(p) =
                    a.programme_id.and_then(|id| call.spec.programmes.iter().find(|p| p.id == id))
                {
                    rows.entry((
                        year,
                        call.id,
                        p.name.clone(),
                        a.country.to_string(),
                        p.host_country.to_string(),
                    ))
                    .or_default()
                    .1 += 1;
                }
            }
        }
    }
    Ok(rows
        .into_iter()
        .map(|((year, call_id, programme, from, to), (applications, placements))| StatRow {
            year,
            call_id,
            programme,
            from,
            to,
            applications,
            placements,
        })
        .collect())
}

/// Opens a call as a draft (programme administrators of an education exchange center).
pub async fn create_call(
    state: &AppState,
    caller: &Caller,
    spec: CallSpec,
) -> Result<Call, ApiError> {
    if !can_open_call(caller) {
        return Err(ApiError::forbidden(
            "only programme administrators of an education exchange center open calls",
        ));
    }
    validate_spec(&spec).map_err(refused)?;
    let call = state.store.create_call(&change(state, caller), caller.org.id, &spec).await?;
    Ok(call)
}

/// Replaces a draft call's spec (its center's programme administrators; 409 once published).
pub async fn update_call(
    state: &AppState,
    caller: &Caller,
    id: i64,
    spec: CallSpec,
) -> Result<Call, ApiError> {
    if !can_open_call(caller) {
        return Err(ApiError::forbidden(
            "only programme administrators of an education exchange center edit calls",
        ));
    }
    let call = load_managed_call(state, caller, id).await?;
    if call.status != CallStatus::Draft {
        return Err(conflict(
            "scholarship.not_draft",
            format!("the call is {}; only a draft call can be edited", call.status.as_str()),
        )
        .with_field("status"));
    }
    validate_spec(&spec).map_err(refused)?;
    match state.store.update_call(&change(state, caller), id, &spec).await {
        Ok(call) => Ok(call),
        // Published between the check above and the update: the store refused it.
        Err(caravan_store::StoreError::Conflict { value, .. }) => {
            Err(conflict("scholarship.not_draft", value).with_field("status"))
        }
        Err(err) => Err(err.into()),
    }
}

/// Publishes or closes a call.
pub async fn set_call_status(
    state: &AppState,
    caller: &Caller,
    id: i64,
    req: StatusRequest,
) -> Result<Call, ApiError> {
    let call = load_managed_call(state, caller, id).await?;
    let allowed = matches!(
        (call.status, req.status),
        (CallStatus::Draft, CallStatus::Published) | (CallStatus::Published, CallStatus::Closed)
    );
    if !allowed {
        return Err(conflict(
            "scholarship.bad_transition",
            format!("a {} call cannot become {}", call.status.as_str(), req.status.as_str()),
        )
        .with_field("status"));
    }
    Ok(state.store.set_call_status(&change(state, caller), id, req.status).await?)
}

/// Starts the caller's application to a call.
pub async fn create_application(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<ApplicationView, ApiError> {
    let call = load_call(state, caller, id).await?;
    if !can_apply(caller, &call) {
        return Err(ApiError::forbidden(
            "only applicants from the call's countries may apply, while the call is published",
        ));
    }
    before_deadline(state, &call)?;
    let app = state
        .store
        .create_application(&change(state, caller), id, caller.user.id, caller.org.country)
        .await?;
    view_of(state, app, &call).await
}

/// Saves one page of an application: `personal`, `study` or `choices`.
pub async fn save_page(
    state: &AppState,
    caller: &Caller,
    id: i64,
    page: String,
    value: serde_json::Value,
) -> Result<ApplicationView, ApiError> {
    let (app, call) = load_editable(state, caller, id).await?;
    let body = apply_page(app.body.clone(), &page, value, &call)?;
    let app = state.store.save_application(&change(state, caller), id, &body, &page).await?;
    view_of(state, app, &call).await
}

/// Submits the application (before the deadline, when nothing is missing).
pub async fn submit(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<ApplicationView, ApiError> {
    let (app, call) = load_editable(state, caller, id).await?;
    let docs = state.store.documents(id).await?;
    if let Some(first) = missing_parts(&app, &call, &docs).first() {
        return Err(invalid(first.clone(), format!("fill in {first} before submitting")));
    }
    let app = state
        .store
        .set_application_status(&change(state, caller), id, ApplicationStatus::Submitted)
        .await?;
    view_of(state, app, &call).await
}

/// Endorses or declines a submitted application (nominating body of its country).
pub async fn endorse(
    state: &AppState,
    caller: &Caller,
    id: i64,
    req: EndorseRequest,
) -> Result<Application, ApiError> {
    let app = state.store.application(id).await?.ok_or_else(|| {
        ApiError::not_found("scholarship.no_application", format!("no application {id}"))
            .with_field("id")
    })?;
    if !can_endorse(caller, &app) {
        return Err(ApiError::forbidden(
            "only the nominating body of the applicant's country endorses",
        ));
    }
    if app.status != ApplicationStatus::Submitted {
        return Err(conflict(
            "scholarship.not_submitted",
            format!("the application is {}, not submitted", app.status.as_str()),
        ));
    }
    let comment = req.comment.as_deref().map(str::trim).filter(|c| !c.is_empty());
    if comment.is_some_and(|c| c.chars().count() > 2000) {
        return Err(invalid("comment", "keep the comment to at most 2000 characters"));
    }
    let status =
        if req.endorse { ApplicationStatus::Endorsed } else { ApplicationStatus::Declined };
    let change = change(state, caller);
    let app = state.store.set_application_status(&change, id, status).await?;
    if let Some(comment) = comment {
        let details = serde_json::json!({ "status": status.as_str(), "comment": comment });
        let audit = caravan_store::NewAudit {
            action: "scholarship.application.endorsement_comment",
            target: format!("application:{id}"),
            details,
        };
        state.store.append_audit(&change, audit).await?;
    }
    Ok(app)
}

/// Applications of a call: all for its center, the own country's for a nominating body.
pub async fn call_applications(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<Vec<Application>, ApiError> {
    let call = load_call(state, caller, id).await?;
    let apps = state.store.applications(id).await?;
    if can_manage_call(caller, &call) {
        return Ok(apps);
    }
    if caller.org.kind != OrgKind::NominatingBody {
        return Err(ApiError::forbidden(
            "only the call's center and nominating bodies list applications",
        ));
    }
    Ok(apps
        .into_iter()
        .filter(|a| can_endorse(caller, a) && a.status != ApplicationStatus::Draft)
        .collect())
}

/// Assigns endorsed applications to reviewers: N per application (one more when flagged for
/// disagreement), avoiding conflicts of interest, least-loaded reviewer first.
pub async fn assign(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<AssignmentReport, ApiError> {
    let call = load_managed_call(state, caller, id).await?;
    let apps: Vec<Application> = state
        .store
        .applications(id)
        .await?
        .into_iter()
        .filter(|a| a.status == ApplicationStatus::Endorsed)
        .collect();
    let reviews = state.store.reviews(id).await?;
    let ranking = rank(&call, &apps, &reviews);
    let orgs: HashMap<i64, caravan_store::Organisation> =
        state.store.organisations().await?.into_iter().map(|o| (o.id, o)).collect();
    let users: Vec<User> = state.store.users(None).await?;
    let applicant_org: HashMap<i64, i64> = users.iter().map(|u| (u.id, u.org_id)).collect();
    let reviewers: Vec<Reviewer<'_>> = users
        .iter()
        .filter(|u| u.role == Role::Reviewer && u.active)
        .filter_map(|user| orgs.get(&user.org_id).map(|org| Reviewer { user, org }))
        .collect();
    let plan = plan_assignments(&call, &apps, &reviews, &ranking, &reviewers, &applicant_org);
    let change = change(state, caller);
    let mut report = AssignmentReport { assigned: Vec::new(), short: plan.short };
    for (application_id, reviewer_id) in plan.assign {
        report
            .assigned
            .push(state.store.assign_review(&change, application_id, reviewer_id).await?);
    }
    Ok(report)
}

/// Runs a placement on the current ranking (stored as a draft for review).
pub async fn place(
    state: &AppState,
    caller: &Caller,
    id: i64,
    req: PlaceRequest,
) -> Result<PlacementView, ApiError> {
    let call = load_managed_call(state, caller, id).await?;
    let (apps, ranking) = call_ranking(state, &call).await?;
    let result = run_placement(&call, &apps, &ranking, &req).map_err(refused)?;
    let value = serde_json::to_value(&result).map_err(ApiError::internal)?;
    let stored = state.store.save_placement(&change(state, caller), id, &value).await?;
    placement_view(stored)
}

/// Publishes a placement run (one per call).
pub async fn publish(
    state: &AppState,
    caller: &Caller,
    id: i64,
    run: i64,
) -> Result<PlacementView, ApiError> {
    load_managed_call(state, caller, id).await?;
    let runs = state.store.placements(id).await?;
    if runs.iter().any(|p| p.published) {
        return Err(conflict(
            "scholarship.already_published",
            "a placement of this call is already published",
        ));
    }
    if !runs.iter().any(|p| p.id == run) {
        return Err(ApiError::not_found(
            "scholarship.no_placement",
            format!("call {id} has no placement run {run}"),
        )
        .with_field("run"));
    }
    placement_view(state.store.publish_placement(&change(state, caller), run).await?)
}

/// Calls the caller may see.
pub async fn calls(state: &AppState, caller: &Caller) -> Result<Vec<Call>, ApiError> {
    let calls = state.store.calls().await?;
    Ok(calls.into_iter().filter(|c| can_read_call(caller, c)).collect())
}

/// One call.
pub async fn call(state: &AppState, caller: &Caller, id: i64) -> Result<Call, ApiError> {
    load_call(state, caller, id).await
}

/// The caller's own applications.
pub async fn my_applications(
    state: &AppState,
    caller: &Caller,
) -> Result<Vec<Application>, ApiError> {
    Ok(state.store.applications_of(caller.user.id).await?)
}

/// One application (applicant, center, or the nominating body of its country).
pub async fn application(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<ApplicationView, ApiError> {
    let (app, call) = load_application(state, caller, id).await?;
    view_of(state, app, &call).await
}

/// Scores an assigned application (before the review deadline).
pub async fn score(
    state: &AppState,
    caller: &Caller,
    id: i64,
    req: ScoreRequest,
) -> Result<BlindApplication, ApiError> {
    let review = load_review(state, caller, id).await?;
    let app = state
        .store
        .application(review.application_id)
        .await?
        .ok_or_else(|| ApiError::internal("review without application"))?;
    let call = state
        .store
        .call(app.call_id)
        .await?
        .ok_or_else(|| ApiError::internal("application without call"))?;
    if (state.clock)() > call.spec.review_deadline {
        return Err(conflict("scholarship.deadline_passed", "the review deadline has passed"));
    }
    check_scores(&req.scores, &call).map_err(refused)?;
    let review = state.store.submit_review(&change(state, caller), id, &req.scores).await?;
    blind_view(state, &review).await
}

/// The normalised ranking of a call's endorsed applications, with the method.
pub async fn ranking(state: &AppState, caller: &Caller, id: i64) -> Result<Ranking, ApiError> {
    let call = load_managed_call(state, caller, id).await?;
    Ok(call_ranking(state, &call).await?.1)
}

/// Placement runs of a call.
pub async fn placements(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<Vec<PlacementView>, ApiError> {
    load_managed_call(state, caller, id).await?;
    let runs = state.store.placements(id).await?;
    runs.into_iter().map(placement_view).collect()
}

/// Stores a checked PDF (kind, size and type checked by the caller).
pub(crate) async fn store_document(
    state: &AppState,
    caller: &Caller,
    id: i64,
    kind: String,
    filename: String,
    content: Vec<u8>,
) -> Result<DocumentMeta, ApiError> {
    check_text("filename", &filename, 200).map_err(refused)?;
    let doc = NewDocument { application_id: id, kind, filename, content };
    Ok(state.store.add_document(&change(state, caller), &doc).await?)
}

/// The caller's review assignments, blind (reviewers only).
pub async fn reviews(state: &AppState, caller: &Caller) -> Result<Vec<BlindApplication>, ApiError> {
    if caller.user.role != Role::Reviewer {
        return Err(ApiError::forbidden("only reviewers have review assignments"));
    }
    let mut out = Vec::new();
    for review in my_reviews(state, caller).await? {
        out.push(blind_view(state, &review).await?);
    }
    Ok(out)
}

/// One of the caller's review assignments, blind.
pub async fn review(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> Result<BlindApplication, ApiError> {
    let review = load_review(state, caller, id).await?;
    blind_view(state, &review).await
}

/// The PDF of document `id`, for whoever may read its application or reviews it.
pub async fn document(state: &AppState, caller: &Caller, id: i64) -> Result<Vec<u8>, ApiError> {
    let (meta, content) = state.store.document(id).await?.ok_or_else(|| {
        ApiError::not_found("scholarship.no_document", format!("no document {id}")).with_field("id")
    })?;
    let app = state
        .store
        .application(meta.application_id)
        .await?
        .ok_or_else(|| ApiError::internal("document without application"))?;
    let call = state
        .store
        .call(app.call_id)
        .await?
        .ok_or_else(|| ApiError::internal("application without call"))?;
    let reviewer = state
        .store
        .reviews(call.id)
        .await?
        .iter()
        .any(|r| r.application_id == app.id && can_review(caller, r));
    if !(can_read_application(caller, &app, &call) || reviewer) {
        return Err(ApiError::forbidden("you may not read this document"));
    }
    Ok(content)
}

/// An application's result as its reader may see it: the published placement's outcome, with
/// its explanation, or that none is published yet.
pub async fn result(state: &AppState, caller: &Caller, id: i64) -> Result<ResultView, ApiError> {
    let (app, call) = load_application(state, caller, id).await?;
    let published = published_result(state, call.id).await?;
    Ok(result_of(&app, &call, published.as_ref()))
}
