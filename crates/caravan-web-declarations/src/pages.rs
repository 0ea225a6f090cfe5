//! The single window's pages (en/ru/zh), plain forms that work without JavaScript: the trader's
//! declarations with a new-declaration form (data set as JSON, item lines by CSV), duties
//! preview, drafts and lodging; the officer's queue by risk with the decision form; the agency's
//! queue with approve/refuse; the customs administrator's risk-rule editor with versions.

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caravan_refdata::Lang;
use caravan_store::declarations::DeclarationRecord;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use super::{DeclKey, DeclarationRequest, agency_of, can_decide, can_lodge, can_manage_rules};
use caravan_web::AppState;
use caravan_web::auth::Caller;
use caravan_web::error::ApiError;
use caravan_web::i18n::t;
use caravan_web::ui::PageCaller;
use caravan_web::ui::{error_page, layout, page};

fn k(lang: Lang, key: DeclKey) -> &'static str {
    t(lang, key)
}

/// A declaration status (`caravan_customs::Status` text) in words; an unknown one as it is.
/// The match is over the enum, so a new status does not compile without its words.
pub fn status_label(lang: Lang, status: &str) -> &str {
    use caravan_customs::Status;
    let Some(known) = Status::ALL.into_iter().find(|s| s.to_string() == status) else {
        return status;
    };
    k(
        lang,
        match known {
            Status::Draft => DeclKey::status_draft,
            Status::Lodged => DeclKey::status_lodged,
            Status::Assessed => DeclKey::status_assessed,
            Status::UnderControl => DeclKey::status_under_control,
            Status::AwaitingApprovals => DeclKey::status_awaiting_approvals,
            Status::Released => DeclKey::status_released,
            Status::Rejected => DeclKey::status_rejected,
        },
    )
}

/// A duty line's tax type in words; an unknown one as it is.
pub fn tax_label(lang: Lang, tax: &str) -> &str {
    match tax {
        "customs_duty" => k(lang, DeclKey::tax_customs_duty),
        "vat" => k(lang, DeclKey::tax_vat),
        "excise" => k(lang, DeclKey::tax_excise),
        "additional_duty" => k(lang, DeclKey::tax_additional_duty),
        _ => tax,
    }
}

/// A channel (`green`, `yellow`, `red`) in words; an unknown one as it is.
pub fn channel_label(lang: Lang, channel: &str) -> &str {
    match channel {
        "green" => k(lang, DeclKey::channel_green),
        "yellow" => k(lang, DeclKey::channel_yellow),
        "red" => k(lang, DeclKey::channel_red),
        _ => channel,
    }
}

/// The home page's panel of what the caller's declarations need (`None` for those who see no
/// declarations): counts by status, and for customs the queue by channel and its oldest entry.
pub async fn home_panel(state: &AppState, caller: &Caller, lang: Lang) -> Option<Markup> {
    let attention = super::service::attention(state, caller).await.ok()?;
    let more = |n: usize| {
        html! { @if attention.capped { (k(lang, DeclKey::more_than)) " " } (n) }
    };
    Some(html! {
        section.attention #declarations-attention {
            h2 { (k(lang, DeclKey::attention)) }
            @if attention.by_status.is_empty() {
                p { (k(lang, DeclKey::attention_none)) }
            } @else {
                ul {
                    @for status in caravan_customs::Status::ALL.map(|s| s.to_string()) {
                        @if let Some(n) = attention.by_status.get(&status) {
                            li data-status=(status) { (status_label(lang, &status)) ": " strong { (more(*n)) } }
                        }
                    }
                }
            }
            @if !attention.under_control_by_channel.is_empty() {
                ul.channels {
                    @for (channel, n) in &attention.under_control_by_channel {
                        li { span class={ "tag channel-" (channel) } { (channel_label(lang, channel)) } ": " strong { (n) } }
                    }
                }
            }
            @if let Some(oldest) = attention.oldest_under_control {
                p { (k(lang, DeclKey::oldest_waiting)) " " (oldest.date().to_string()) }
            }
            p { a href="/declarations" { (k(lang, DeclKey::open_list)) } }
        }
    })
}

const SAMPLE: &str = include_str!("../../../data/customs/samples/import-apples-cn-kz.json");

fn records_table(lang: Lang, records: &[DeclarationRecord]) -> Markup {
    html! {
        @if records.is_empty() { p { (k(lang, DeclKey::none_yet)) } } @else {
            table #declarations {
                thead { tr {
                    th scope="col" { (k(lang, DeclKey::reference)) } th scope="col" { (k(lang, DeclKey::status)) }
                    th scope="col" { (k(lang, DeclKey::channel)) } th scope="col" { (k(lang, DeclKey::version)) }
                } }
                tbody { @for r in records { tr {
                    td { a href={ "/declarations/" (r.reference) "?declarant=" (r.org_id) } { (r.reference) } }
                    td data-status=(r.status) { (status_label(lang, &r.status)) }
                    td { (r.channel.as_deref().map_or("—", |c| channel_label(lang, c))) } td { (r.version) }
                } } }
            }
        }
    }
}

fn new_form(lang: Lang, caller: &Caller, text: &str) -> Markup {
    html! {
        h2 { (k(lang, DeclKey::new_declaration)) }
        p { (k(lang, DeclKey::next_step)) }
        form method="post" action="/declarations" {
            input type="hidden" name="csrf_token" value=(caller.csrf_token());
            label for="data-set" { (k(lang, DeclKey::data_set)) }
            textarea #data-set name="declaration" rows="24" cols="100" required { (text) }
            div.actions {
                button type="submit" name="action" value="draft" { (k(lang, DeclKey::save_draft)) }
                button type="submit" name="action" value="preview" { (k(lang, DeclKey::preview)) }
                button type="submit" name="action" value="lodge" { (k(lang, DeclKey::lodge)) }
            }
        }
    }
}

/// A stored `Money` (`{"amount": "12.50", "currency": "KZT"}`) as text.
fn money_text(m: &Value) -> String {
    let amount = m["amount"].as_str().map(str::to_owned).unwrap_or_else(|| m["amount"].to_string());
    format!("{amount} {}", m["currency"].as_str().unwrap_or(""))
}

fn answer_view(lang: Lang, answer: &Value) -> Markup {
    html! {
        @let channel = answer["channel"].as_str().unwrap_or("—");
        @let status = answer["status"].as_str().unwrap_or("—");
        p { strong { (k(lang, DeclKey::channel)) ": " } span #channel data-channel=(channel) { (channel_label(lang, channel)) }
            " · " (k(lang, DeclKey::status)) ": " span data-status=(status) { (status_label(lang, status)) } }
        h3 { (k(lang, DeclKey::reasons)) }
        ul { @for r in answer["reasons"].as_array().into_iter().flatten() {
            li { code { (r["rule_id"].as_str().unwrap_or("")) } " (" (channel_label(lang, r["channel"].as_str().unwrap_or(""))) "): " (r["reason"].as_str().unwrap_or("")) }
        } }
        h3 { (k(lang, DeclKey::certificates)) }
        ul { @for c in answer["certificates"].as_array().into_iter().flatten() {
            li { (c["document_reference"].as_str().unwrap_or("")) ": "
                @if c["verified"] == Value::Bool(true) { (k(lang, DeclKey::verified)) } @else { (k(lang, DeclKey::not_verified)) }
                " — " (c["reason"].as_str().unwrap_or("")) }
        } }
        h3 { (k(lang, DeclKey::duties)) }
        @let lines = answer["duty_lines"].as_array().map(Vec::as_slice).unwrap_or_default();
        // Assessments stored before the mark existed were computed from illustrative rates.
        @let real = |line: &Value| line["provenance"].as_str() == Some("real");
        @if lines.iter().any(|line| !real(line)) {
            p.notice #duties-illustrative { strong { (k(lang, DeclKey::duties_illustrative)) } }
        }
        @if !lines.is_empty() {
            table #duty-lines {
                thead { tr {
                    th scope="col" { (k(lang, DeclKey::item)) } th scope="col" { (k(lang, DeclKey::tax)) }
                    th scope="col" { (k(lang, DeclKey::amount)) } th scope="col" { (k(lang, DeclKey::source)) }
                } }
                tbody { @for line in lines { tr {
                    td { (line["item_idx"].as_u64().map_or(0, |i| i + 1)) }
                    @let tax = line["tax_type"].as_str().unwrap_or("");
                    td data-tax=(tax) { (tax_label(lang, tax)) }
                    td { (money_text(&line["amount"])) }
                    td { @if real(line) { (k(lang, DeclKey::provenance_real)) } @else { (k(lang, DeclKey::provenance_illustrative)) } }
                } } }
            }
        }
        ul { @for m in answer["totals"].as_array().into_iter().flatten() {
            li { (money_text(m)) }
        } }
    }
}

async fn list_page(
    state: &AppState,
    lang: Lang,
    caller: &Caller,
    notice: Option<Markup>,
    text: &str,
) -> Response {
    let (list, records) = match super::service::home_list(state, caller).await {
        Ok(found) => found,
        Err(err) => return error_page(lang, Some(caller), &err),
    };
    let heading = match list {
        super::service::HomeList::Queue => k(lang, DeclKey::queue),
        super::service::HomeList::AgencyParts => k(lang, DeclKey::agency_queue),
        super::service::HomeList::Own => k(lang, DeclKey::title),
    };
    let country = caller.org.country;
    page(
        StatusCode::OK,
        layout(
            lang,
            Some(caller),
            k(lang, DeclKey::title),
            html! {
                h1 { (heading) }
                @if let Some(notice) = notice { (notice) }
                (records_table(lang, &records))
                @if can_lodge(caller) { (new_form(lang, caller, text)) }
                @if can_manage_rules(caller, country) { p { a href="/declarations/rules" { (k(lang, DeclKey::risk_rules)) } } }
            },
        ),
    )
}

/// `GET /declarations`.
async fn index(State(state): State<AppState>, PageCaller { caller, lang }: PageCaller) -> Response {
    list_page(&state, lang, &caller, None, SAMPLE).await
}

#[derive(Debug, Deserialize)]
struct NewForm {
    declaration: String,
    action: String,
}

fn error_notice(lang: Lang, err: &ApiError) -> Markup {
    html! { div.error role="alert" {
        p { (err.message) }
        @if let Some(field) = &err.field { p { code { (field) } } }
        p { (k(lang, DeclKey::fix_and_retry)) }
    } }
}

/// `POST /declarations`: save a draft, preview, or lodge.
async fn submit(
    State(state): State<AppState>,
    PageCaller { caller, lang }: PageCaller,
    Form(form): Form<NewForm>,
) -> Response {
    let value: Value = match serde_json::from_str(&form.declaration) {
        Ok(v) => v,
        Err(err) => {
            let err = ApiError::bad_request(
                "request.invalid_json",
                format!("the data set is not JSON: {err}"),
            )
            .with_field("declaration");
            return list_page(
                &state,
                lang,
                &caller,
                Some(error_notice(lang, &err)),
                &form.declaration,
            )
            .await;
        }
    };
    let request = DeclarationRequest { declaration: value.clone(), certificates: Vec::new() };
    let outcome = match form.action.as_str() {
        "draft" => super::save_draft_body(&state, &caller, value).await.map(|r| Err(r.reference)),
        "preview" => super::preview(&state, &caller, &request).await.map(Ok),
        _ => super::lodge(&state, &caller, request, None)
            .await
            .map(|l| Err(l.response["reference"].as_str().unwrap_or_default().to_owned())),
    };
    match outcome {
        Ok(Ok(preview)) => {
            let notice = html! { section.ok { h2 { (k(lang, DeclKey::preview_result)) } (answer_view(lang, &preview)) } };
            list_page(&state, lang, &caller, Some(notice), &form.declaration).await
        }
        Ok(Err(reference)) => Redirect::to(&format!("/declarations/{reference}")).into_response(),
        Err(err) => {
            list_page(&state, lang, &caller, Some(error_notice(lang, &err)), &form.declaration)
                .await
        }
    }
}

/// `GET /declarations/{reference}[?declarant=ID]`: references are unique per declarant, so the
/// links of the lists name the declarant (an officer may see two declarants' references alike).
async fn detail(
    State(state): State<AppState>,
    PageCaller { caller, lang }: PageCaller,
    Path(reference): Path<String>,
    Query(which): Query<super::DeclarantQuery>,
) -> Response {
    detail_page(&state, lang, &caller, &reference, which.declarant, None).await
}

async fn detail_page(
    state: &AppState,
    lang: Lang,
    caller: &Caller,
    reference: &str,
    declarant: Option<i64>,
    notice: Option<Markup>,
) -> Response {
    let (detail, _) = match super::load_of(state, caller, reference, declarant).await {
        Ok(found) => found,
        Err(err) => return error_page(lang, Some(caller), &err),
    };
    let record = &detail.record;
    let last = detail.assessments.last();
    let answer = last.map(|a| {
        let mut v = a.body.clone();
        v["channel"] = Value::String(a.channel.clone());
        v["status"] = Value::String(record.status.clone());
        v["reasons"] = a.body["risk"]["fired"].clone();
        v
    });
    let is_draft = record.status == "draft" && record.org_id == caller.org.id;
    let agency = agency_of(caller)
        .filter(|a| detail.agencies.iter().any(|p| p.agency == *a && p.status == "pending"));
    page(
        StatusCode::OK,
        layout(
            lang,
            Some(caller),
            reference,
            html! {
                h1 { (k(lang, DeclKey::declaration)) " " (reference) }
                @if let Some(notice) = notice { (notice) }
                p { (k(lang, DeclKey::status)) ": " strong #status data-status=(record.status) { (status_label(lang, &record.status)) } " · " (k(lang, DeclKey::version)) " " (record.version) }
                @if let Some(answer) = &answer { (answer_view(lang, answer)) }
                @if !detail.agencies.is_empty() {
                    h3 { (k(lang, DeclKey::agencies)) }
                    ul { @for p in &detail.agencies { li { (p.agency) ": " (p.status) } } }
                }
                h2 { (k(lang, DeclKey::timeline)) }
                ol #timeline { @for e in &detail.events {
                    li { (e.at.date()) " " (e.at.time()) " — v" (e.version) " " (e.from_status) " → " (e.to_status) " (" (e.actor.name) ")"
                        @if let Some(c) = e.event["comment"].as_str().filter(|c| !c.is_empty()) { ": " em { (c) } } }
                } }
                @if is_draft {
                    form method="post" action={ "/declarations/" (reference) "/lodge" } {
                        input type="hidden" name="csrf_token" value=(caller.csrf_token());
                        button type="submit" { (k(lang, DeclKey::lodge_draft)) }
                    }
                    form method="post" action={ "/declarations/" (reference) "/items" } {
                        input type="hidden" name="csrf_token" value=(caller.csrf_token());
                        label for="items-csv" { (k(lang, DeclKey::items_csv)) }
                        textarea #items-csv name="csv" rows="6" cols="100" required { (super::ITEM_COLUMNS.join(",")) "\n" }
                        button type="submit" { (k(lang, DeclKey::upload_items)) }
                    }
                }
                @if can_decide(caller, record) && record.status == "under_control" {
                    (decision_form(lang, caller, reference, record.org_id, "decision", &[("release", DeclKey::release), ("request_documents", DeclKey::request_documents), ("inspect", DeclKey::inspect), ("reject", DeclKey::reject)]))
                }
                @if agency.is_some() {
                    (decision_form(lang, caller, reference, record.org_id, "agency", &[("approve", DeclKey::approve), ("refuse", DeclKey::refuse)]))
                }
            },
        ),
    )
}

fn decision_form(
    lang: Lang,
    caller: &Caller,
    reference: &str,
    declarant: i64,
    path: &str,
    options: &[(&str, DeclKey)],
) -> Markup {
    html! {
        h2 { (k(lang, DeclKey::decision)) }
        form method="post" action={ "/declarations/" (reference) "/" (path) "?declarant=" (declarant) } {
            input type="hidden" name="csrf_token" value=(caller.csrf_token());
            label for="decision" { (k(lang, DeclKey::decision)) }
            select #decision name="decision" { @for (value, key) in options { option value=(value) { (k(lang, *key)) } } }
            label for="comment" { (k(lang, DeclKey::comment)) }
            textarea #comment name="comment" rows="3" cols="80" {}
            button type="submit" { (k(lang, DeclKey::record_decision)) }
        }
    }
}

#[derive(Debug, Deserialize)]
struct DecisionForm {
    decision: String,
    #[serde(default)]
    comment: String,
}

async fn after(
    state: &AppState,
    lang: Lang,
    caller: &Caller,
    reference: &str,
    declarant: Option<i64>,
    result: Result<(), ApiError>,
) -> Response {
    match result {
        Ok(_) => match declarant {
            Some(org) => Redirect::to(&format!("/declarations/{reference}?declarant={org}")),
            None => Redirect::to(&format!("/declarations/{reference}")),
        }
        .into_response(),
        Err(err) => {
            let notice = Some(error_notice(lang, &err));
            detail_page(state, lang, caller, reference, declarant, notice).await
        }
    }
}

/// `POST /declarations/{reference}/decision`.
async fn decide(
    State(state): State<AppState>,
    PageCaller { caller, lang }: PageCaller,
    Path(reference): Path<String>,
    Query(which): Query<super::DeclarantQuery>,
    Form(form): Form<DecisionForm>,
) -> Response {
    let request = super::DecisionRequest { decision: form.decision, comment: form.comment };
    let result =
        super::decide_on(&state, &caller, &reference, which.declarant, &request).await.map(drop);
    after(&state, lang, &caller, &reference, which.declarant, result).await
}

/// `POST /declarations/{reference}/agency`.
async fn agency(
    State(state): State<AppState>,
    PageCaller { caller, lang }: PageCaller,
    Path(reference): Path<String>,
    Query(which): Query<super::DeclarantQuery>,
    Form(form): Form<DecisionForm>,
) -> Response {
    let request = super::DecisionRequest { decision: form.decision, comment: form.comment };
    let result = super::agency_decide_on(&state, &caller, &reference, which.declarant, &request)
        .await
        .map(drop);
    after(&state, lang, &caller, &reference, which.declarant, result).await
}

/// `POST /declarations/{reference}/lodge`.
async fn lodge_draft(
    State(state): State<AppState>,
    PageCaller { caller, lang }: PageCaller,
    Path(reference): Path<String>,
) -> Response {
    let result =
        super::lodge_saved_draft(&state, &caller, &reference, Vec::new(), None).await.map(drop);
    after(&state, lang, &caller, &reference, None, result).await
}

#[derive(Debug, Deserialize)]
struct CsvForm {
    csv: String,
}

/// `POST /declarations/{reference}/items`.
async fn items(
    State(state): State<AppState>,
    PageCaller { caller, lang }: PageCaller,
    Path(reference): Path<String>,
    Form(form): Form<CsvForm>,
) -> Response {
    let result = super::replace_items(&state, &caller, &reference, &form.csv).await.map(drop);
    after(&state, lang, &caller, &reference, None, result).await
}

/// `GET /declarations/rules`: the risk-rule editor of the administrator's country.
async fn rules(State(state): State<AppState>, PageCaller { caller, lang }: PageCaller) -> Response {
    rules_page(&state, lang, &caller, None, None).await
}

async fn rules_page(
    state: &AppState,
    lang: Lang,
    caller: &Caller,
    notice: Option<Markup>,
    text: Option<String>,
) -> Response {
    let country = caller.org.country;
    if !can_manage_rules(caller, country) {
        return error_page(
            lang,
            Some(caller),
            &ApiError::forbidden("risk rules are managed by customs administrators"),
        );
    }
    let (current, versions) = match super::service::rules(state, caller, country).await {
        Ok(found) => found,
        Err(e) => return error_page(lang, Some(caller), &e),
    };
    let text = text.unwrap_or_else(|| serde_json::to_string_pretty(&*current).unwrap_or_default());
    page(
        StatusCode::OK,
        layout(
            lang,
            Some(caller),
            k(lang, DeclKey::risk_rules),
            html! {
                h1 { (k(lang, DeclKey::risk_rules)) " — " (country) }
                @if let Some(notice) = notice { (notice) }
                p { (k(lang, DeclKey::version)) ": " code #rules-version { (current.version) } }
                form method="post" action="/declarations/rules" {
                    input type="hidden" name="csrf_token" value=(caller.csrf_token());
                    label for="rules" { (k(lang, DeclKey::rules_json)) }
                    textarea #rules name="rules" rows="30" cols="100" required { (text) }
                    button type="submit" { (k(lang, DeclKey::save_version)) }
                }
                h2 { (k(lang, DeclKey::versions)) }
                ul { @for v in &versions { li { (v.version) " — " (v.created_at.date()) " (" (v.actor.name) ")" } } }
            },
        ),
    )
}

#[derive(Debug, Deserialize)]
struct RulesForm {
    rules: String,
}

/// `POST /declarations/rules`.
async fn save_rules(
    State(state): State<AppState>,
    PageCaller { caller, lang }: PageCaller,
    Form(form): Form<RulesForm>,
) -> Response {
    let country = caller.org.country;
    if !can_manage_rules(&caller, country) {
        return error_page(
            lang,
            Some(&caller),
            &ApiError::forbidden("risk rules are managed by customs administrators"),
        );
    }
    let result = match serde_json::from_str::<Value>(&form.rules) {
        Ok(body) => super::service::put_rules(&state, &caller, country, &body).await.map(drop),
        Err(err) => Err(ApiError::bad_request("request.invalid_json", format!("not JSON: {err}"))
            .with_field("rules")),
    };
    match result {
        Ok(()) => Redirect::to("/declarations/rules").into_response(),
        Err(err) => {
            rules_page(&state, lang, &caller, Some(error_notice(lang, &err)), Some(form.rules))
                .await
        }
    }
}

/// The pages' routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/declarations", get(index).post(submit))
        .route("/declarations/rules", get(rules).post(save_rules))
        .route("/declarations/{reference}", get(detail))
        .route("/declarations/{reference}/decision", post(decide))
        .route("/declarations/{reference}/agency", post(agency))
        .route("/declarations/{reference}/lodge", post(lodge_draft))
        .route("/declarations/{reference}/items", post(items))
}

#[cfg(test)]
mod tests {
    use caravan_web::i18n::Text;

    #[test]
    fn every_string_has_three_languages() {
        for key in crate::DeclKey::ALL {
            let [en, ru, zh] = key.table();
            assert!(!en.is_empty() && !ru.is_empty() && !zh.is_empty(), "{key:?}");
            assert_ne!(en, ru, "{key:?} is not translated to Russian");
            assert_ne!(en, zh, "{key:?} is not translated to Chinese");
        }
    }
}
