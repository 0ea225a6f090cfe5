//! Official exchange rates entered by administrators (issue 18) over HTTP: the API (`GET`/`POST
//! /api/v1/tariff/rates`) and the `/tariff/rates` page (paste or upload CSV
//! `date,from,to,rate,source`, no JavaScript), thin adapters over the `service` module, which
//! holds who may enter them ([`can_enter_rates`]) and the working set the calculator reads when
//! a request gives no rates of its own.

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use caravan_refdata::Lang;
use caravan_store::rates::{PutRates, StoredRate};
use caravan_types::CurrencyCode;
use maud::{Markup, html};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{RateInput, pages::TariffKey};
use crate::TariffState;
use crate::service;
pub use crate::service::{
    MAX_RATES_LISTED, MAX_RATES_PER_PUT, STORED_RATES_TTL, StoredRates, can_enter_rates,
};
use caravan_web::AppState;
use caravan_web::auth::{Caller, MaybeCaller};
use caravan_web::error::{ApiError, ApiJson, ApiQuery, ErrorBody};
use caravan_web::i18n::t;
use caravan_web::ui::{layout, page, ui_lang};

// ---------------------------------------------------------------------------------------------
// API.

/// `GET /api/v1/tariff/rates` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RatesQuery {
    /// Only rates into this currency (ISO 4217), e.g. KZT.
    pub to: Option<String>,
    /// At most this many rows, newest day first (default and maximum 1,000).
    pub limit: Option<i64>,
}

/// `POST /api/v1/tariff/rates`: the rates to enter, as rows of the CLI's `--rates` file.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutRatesRequest {
    /// One official rate a row; a row for a day and pair already stored replaces it.
    pub rates: Vec<RateInput>,
}

/// What an upload did.
#[derive(Debug, Serialize, ToSchema)]
pub struct PutRatesAnswer {
    #[serde(flatten)]
    pub counts: PutRates,
}

/// The official exchange rates entered on this server, newest day first. Public: official rates
/// are published data.
#[utoipa::path(get, path = "/api/v1/tariff/rates", tag = "tariff", params(RatesQuery),
    responses((status = 200, body = Vec<StoredRate>), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<RatesQuery>,
) -> Result<Json<Vec<StoredRate>>, ApiError> {
    Ok(Json(service::list_rates(&state, query.to.as_deref(), query.limit).await?))
}

/// Enters official exchange rates (audited as `tariff.rates.put`); a row for a day and pair
/// already stored replaces it. Platform administrators, and country administrators for their
/// schedule's currency. The calculator uses them when a request gives no `rates`.
#[utoipa::path(post, path = "/api/v1/tariff/rates", tag = "tariff", request_body = PutRatesRequest,
    responses((status = 200, body = PutRatesAnswer), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<PutRatesRequest>,
) -> Result<Json<PutRatesAnswer>, ApiError> {
    Ok(Json(PutRatesAnswer { counts: service::put_rates(&state, &caller, &req.rates).await? }))
}

// ---------------------------------------------------------------------------------------------
// The page.

/// A file chosen on the page: CSV text (UTF-8, no NUL byte), at most 1 MiB.
const CSV_RULE: caravan_web::multipart::FileRule = caravan_web::multipart::FileRule {
    max_bytes: 1024 * 1024,
    type_name: "CSV text file",
    accepts: |bytes| std::str::from_utf8(bytes).is_ok_and(|text| !text.contains('\0')),
};

fn rates_table(lang: Lang, rates: &[StoredRate]) -> Markup {
    html! {
        @if rates.is_empty() {
            p #no-rates { (t(lang, TariffKey::rates_none)) }
        } @else {
            table #stored-rates {
                thead { tr {
                    th scope="col" { (t(lang, TariffKey::rates_day)) }
                    th scope="col" { (t(lang, TariffKey::rates_pair)) }
                    th scope="col" .num { (t(lang, TariffKey::rate)) }
                    th scope="col" { (t(lang, TariffKey::rates_source)) }
                    th scope="col" { (t(lang, TariffKey::rates_entered)) }
                } }
                tbody {
                    @for r in rates {
                        tr {
                            td { (r.date.to_string()) }
                            td { "1 " (r.from) " → " (r.to) }
                            td.num { (r.rate) }
                            td { (r.source) }
                            td { (r.entered_by) ", " (r.entered_at.date().to_string()) }
                        }
                    }
                }
            }
        }
    }
}

async fn rates_page(
    state: &AppState,
    lang: Lang,
    caller: Option<&Caller>,
    to: Option<CurrencyCode>,
    outcome: Option<Result<PutRates, &ApiError>>,
    pasted: &str,
) -> Response {
    let status = match &outcome {
        Some(Err(err)) => err.status,
        _ => StatusCode::OK,
    };
    let stored =
        match service::list_rates(state, to.as_ref().map(CurrencyCode::as_str), Some(200)).await {
            Ok(rates) => rates,
            Err(err) => return caravan_web::ui::error_page(lang, caller, &err),
        };
    let currencies = service::schedule_currencies(state.tariff());
    let may_enter = service::rate_currencies_for(state, caller);
    let body = html! {
        h1 { (t(lang, TariffKey::rates_title)) }
        p { (t(lang, TariffKey::rates_intro)) }
        @match &outcome {
            Some(Err(err)) => {
                div.error role="alert" #form-error {
                    p { @if let Some(field) = &err.field { (t(lang, TariffKey::fix_field)) " " strong.field { (field) } } }
                    p { (err.message) }
                }
            }
            Some(Ok(put)) => {
                p.notice role="status" #rates-saved {
                    (t(lang, TariffKey::rates_saved)) " "
                    (put.added) " / " (put.replaced) " / " (put.unchanged)
                }
            }
            None => {}
        }
        @if !may_enter.is_empty() {
            @let csrf = caller.map(Caller::csrf_token).unwrap_or_default();
            form method="post" action="/tariff/rates" enctype="multipart/form-data" #enter-rates {
                input type="hidden" name="csrf_token" value=(csrf);
                p { (t(lang, TariffKey::rates_you_may)) " " @for (idx, c) in may_enter.iter().enumerate() { @if idx > 0 { ", " } strong { (c) } } }
                div {
                    label for="rates" { (t(lang, TariffKey::rates)) }
                    br;
                    textarea #rates name="rates" rows="6" cols="70" aria-describedby="rates-help" placeholder="date,from,to,rate,source" { (pasted) }
                    br;
                    small #rates-help { (t(lang, TariffKey::rates_format)) }
                }
                div {
                    label for="file" { (t(lang, TariffKey::rates_file)) }
                    " "
                    input #file name="file" type="file" accept=".csv,text/csv";
                }
                div { button type="submit" { (t(lang, TariffKey::rates_enter)) } }
            }
        } @else if caller.is_some() {
            p #rates-readonly { (t(lang, TariffKey::rates_who)) }
        } @else {
            p #rates-readonly { (t(lang, TariffKey::rates_who)) " " a href="/login" { (t(lang, TariffKey::rates_login)) } }
        }
        h2 { (t(lang, TariffKey::rates_stored)) }
        form method="get" action="/tariff/rates" {
            label for="to" { (t(lang, TariffKey::rates_into)) }
            " "
            select #to name="to" {
                option value="" { (t(lang, TariffKey::rates_all)) }
                @for c in &currencies { option value=(c) selected[Some(*c) == to] { (c) } }
            }
            " "
            button type="submit" { (t(lang, TariffKey::show)) }
        }
        (rates_table(lang, &stored))
    };
    page(status, layout(lang, caller, t(lang, TariffKey::rates_title), body))
}

/// `GET /tariff/rates?to=`: the stored rates, and for administrators the form to enter them.
pub async fn page_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeCaller(caller): MaybeCaller,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let lang = ui_lang(&headers);
    let to_text = super::pages::field(&pairs, "to");
    let to = if to_text.trim().is_empty() {
        None
    } else {
        match service::parse_to(to_text) {
            Ok(to) => Some(to),
            Err(err) => {
                return rates_page(&state, lang, caller.as_ref(), None, Some(Err(&err)), "").await;
            }
        }
    };
    rates_page(&state, lang, caller.as_ref(), to, None, "").await
}

/// `POST /tariff/rates`: the pasted rows and the chosen file, entered as the API enters them.
pub async fn page_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeCaller(caller): MaybeCaller,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let lang = ui_lang(&headers);
    let Some(caller) = caller else {
        return axum::response::Redirect::to("/login").into_response();
    };
    let mut pasted = String::new();
    let outcome = async {
        let multipart = multipart.map_err(|e| {
            ApiError::bad_request("upload.malformed", e.body_text()).with_field("rates")
        })?;
        let form = caravan_web::multipart::read_form(multipart, &CSV_RULE).await?;
        form.field("rates").unwrap_or_default().clone_into(&mut pasted);
        let file = form.file("file").map(|file| &file.content[..]);
        service::enter_rates_csv(&state, &caller, &pasted, file).await
    }
    .await;
    match outcome {
        Ok(put) => rates_page(&state, lang, Some(&caller), None, Some(Ok(put)), "").await,
        Err(err) => rates_page(&state, lang, Some(&caller), None, Some(Err(&err)), &pasted).await,
    }
}
