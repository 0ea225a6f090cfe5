//! Official exchange rates entered by administrators (issue 18): who may enter them
//! ([`can_enter_rates`]), the API (`GET`/`POST /api/v1/tariff/rates`), the `/tariff/rates` page
//! (paste or upload CSV `date,from,to,rate,source`, no JavaScript), and the working set the
//! calculator reads when a request gives no rates of its own ([`stored_rates_for`]).
//!
//! Stored rates apply to the real schedules (KZ, KG): the illustrative samples carry their own
//! illustrative rates. A pair with stored rates needs a row for the declaration date: the
//! calculator never falls back to another day's rate.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use caravan_refdata::Lang;
use caravan_store::rates::{NewRate, PutRates, StoredRate};
use caravan_store::{Change, StoreError};
use caravan_tariff::{DutyError, ExchangeRate, RateRow, Schedule};
use caravan_types::{CountryCode, CurrencyCode, Decimal};
use maud::{Markup, html};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::{IntoParams, ToSchema};

use super::{RateInput, TariffData, invalid, pages::TariffKey, parse_rate_inputs};
use crate::TariffState;
use caravan_web::AppState;
use caravan_web::auth::{Caller, MaybeCaller};
use caravan_web::error::{ApiError, ApiJson, ApiQuery, ErrorBody};
use caravan_web::i18n::t;
use caravan_web::ui::{layout, page, ui_lang};

/// The most rates one upload may enter.
pub const MAX_RATES_PER_PUT: usize = 1_000;
/// The most rates one listing answers with.
pub const MAX_RATES_LISTED: i64 = 1_000;
/// How long the calculator keeps a currency's stored rates before reading them again (another
/// server on the same database may have entered some); this server's own entries are seen at once.
pub const STORED_RATES_TTL: Duration = Duration::from_secs(2);

/// The countries whose administrators enter rates into `to`: those of the real schedules kept in
/// `to` (KZT → KZ, KGS → KG; the illustrative samples' currencies name their countries too).
fn countries_of_currency(data: &TariffData, to: CurrencyCode) -> Vec<CountryCode> {
    let mut countries: Vec<CountryCode> = data
        .tariff
        .jurisdictions()
        .filter(|j| data.tariff.versions(j).iter().any(|s| s.currency == to))
        .filter_map(|j| CountryCode::parse(j).ok())
        .collect();
    countries.dedup();
    countries
}

/// Every currency a schedule is kept in: the `to` of a rate must be one of them.
pub(crate) fn schedule_currencies(data: &TariffData) -> Vec<CurrencyCode> {
    let mut currencies: Vec<CurrencyCode> = data
        .tariff
        .jurisdictions()
        .flat_map(|j| data.tariff.versions(j).iter().map(|s| s.currency))
        .collect();
    currencies.sort();
    currencies.dedup();
    currencies
}

/// May the caller enter official rates into `to`? Platform administrators for every currency; a
/// country administrator (an administrator of the customs administration) for the currency of
/// their country's schedule. Anyone may read them: official rates are public.
pub fn can_enter_rates(caller: &Caller, data: &TariffData, to: CurrencyCode) -> bool {
    caller.is_global_admin()
        || (caller.is_country_admin()
            && countries_of_currency(data, to).contains(&caller.org.country))
}

/// The stored rates into one currency, by foreign currency, each list in day order.
#[derive(Debug, Default)]
pub struct StoredRates {
    by_from: BTreeMap<CurrencyCode, Vec<RateRow>>,
}

impl StoredRates {
    fn from_rows(rows: Vec<StoredRate>) -> StoredRates {
        let mut by_from: BTreeMap<CurrencyCode, Vec<RateRow>> = BTreeMap::new();
        for row in rows {
            // The server validated the text when it was entered; a row that no longer reads as
            // a decimal (edited by hand in the database) is left out rather than guessed.
            let Ok(rate) = row.rate.parse::<Decimal>() else { continue };
            by_from.entry(row.from).or_default().push(RateRow {
                to: row.to,
                rate: ExchangeRate {
                    currency: row.from,
                    rate,
                    valid_from: row.date,
                    source: row.source,
                },
            });
        }
        for rows in by_from.values_mut() {
            rows.sort_by_key(|r| r.rate.valid_from);
        }
        StoredRates { by_from }
    }

    /// The rows the engine needs for `date`: each pair's row of that day, or, for a pair with no
    /// row that day, its latest earlier row (or its first), so the engine sees the pair and
    /// refuses the day ([`DutyError::NoRateOnDate`]) instead of taking another day's rate.
    pub fn for_day(&self, date: Date) -> Vec<RateRow> {
        self.by_from
            .values()
            .filter_map(|rows| {
                let idx = match rows.binary_search_by_key(&date, |r| r.rate.valid_from) {
                    Ok(idx) => idx,
                    Err(idx) => idx.saturating_sub(1),
                };
                rows.get(idx).cloned()
            })
            .collect()
    }

    /// The latest day with a rate from `from`, for messages.
    fn latest(&self, from: CurrencyCode) -> Option<Date> {
        self.by_from.get(&from).and_then(|rows| rows.last()).map(|r| r.rate.valid_from)
    }
}

/// The stored rates the calculator uses for `schedule` when a request gives none: the rows into
/// its currency for the day, or nothing for an illustrative schedule (it carries its own rates).
///
/// # Errors
/// The store cannot be read.
pub(crate) async fn stored_rates_for(
    state: &AppState,
    schedule: &Schedule,
) -> Result<Option<Arc<StoredRates>>, ApiError> {
    if schedule.illustrative {
        return Ok(None);
    }
    let to = schedule.currency;
    let store = state.store.clone();
    let rates = state
        .tariff()
        .stored_rates
        .get_or_load(&to, || async move {
            let rows = store.exchange_rates_into(to, Date::MIN).await?;
            Ok::<_, StoreError>(Arc::new(StoredRates::from_rows(rows)))
        })
        .await?;
    Ok(Some(rates))
}

/// The error of a calculation that used stored rates: a missing day says who enters it and where.
pub(crate) fn stored_rate_error(err: &DutyError, stored: &StoredRates) -> Option<ApiError> {
    match err {
        DutyError::NoRateOnDate { currency, into, date } => {
            let latest = match stored.latest(*currency) {
                Some(day) => format!(" (the latest entered is for {day})"),
                None => String::new(),
            };
            let message = format!(
                "date: no official {currency} to {into} rate is entered for {date}{latest}; an administrator enters it on /tariff/rates (CSV date,from,to,rate,source), or give the day's rate in `rates`"
            );
            Some(ApiError::unprocessable("tariff.no_exchange_rate", message).with_field("date"))
        }
        DutyError::NoExchangeRate { currency, into, date } => {
            let message = format!(
                "currency: no official {currency} to {into} rate is entered for {date}; an administrator enters it on /tariff/rates (CSV date,from,to,rate,source), or give the day's rate in `rates`"
            );
            Some(ApiError::unprocessable("tariff.no_exchange_rate", message).with_field("currency"))
        }
        _ => None,
    }
}

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

fn parse_to(text: &str) -> Result<CurrencyCode, ApiError> {
    CurrencyCode::parse(&text.trim().to_uppercase())
        .map_err(|err| invalid("to", format!("to: {err} (an ISO 4217 code such as KZT)")))
}

/// The official exchange rates entered on this server, newest day first. Public: official rates
/// are published data.
#[utoipa::path(get, path = "/api/v1/tariff/rates", tag = "tariff", params(RatesQuery),
    responses((status = 200, body = Vec<StoredRate>), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<RatesQuery>,
) -> Result<Json<Vec<StoredRate>>, ApiError> {
    let to = query.to.as_deref().filter(|t| !t.trim().is_empty()).map(parse_to).transpose()?;
    let limit = query.limit.unwrap_or(MAX_RATES_LISTED);
    if !(1..=MAX_RATES_LISTED).contains(&limit) {
        return Err(invalid("limit", format!("limit: between 1 and {MAX_RATES_LISTED}")));
    }
    Ok(Json(state.store.exchange_rates(to, limit).await?))
}

/// Checks rows for entry: each into a schedule currency the caller may enter, no day and pair
/// twice, at most [`MAX_RATES_PER_PUT`].
fn checked_rows(
    state: &AppState,
    caller: &Caller,
    rows: Vec<RateRow>,
    field: impl Fn(usize, &str) -> String,
) -> Result<Vec<NewRate>, ApiError> {
    if rows.is_empty() {
        return Err(invalid("rates", "rates: give at least one rate (date,from,to,rate,source)"));
    }
    if rows.len() > MAX_RATES_PER_PUT {
        return Err(invalid(
            "rates",
            format!("rates: at most {MAX_RATES_PER_PUT} rates at once, got {}", rows.len()),
        ));
    }
    let currencies = schedule_currencies(state.tariff());
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(rows.len());
    for (idx, row) in rows.into_iter().enumerate() {
        if !currencies.contains(&row.to) {
            let known: Vec<&str> = currencies.iter().map(CurrencyCode::as_str).collect();
            return Err(invalid(
                field(idx, "to"),
                format!(
                    "{}: no schedule is kept in {}; rates go into a schedule's currency: {}",
                    field(idx, "to"),
                    row.to,
                    known.join(", ")
                ),
            ));
        }
        if row.rate.currency == row.to {
            return Err(invalid(
                field(idx, "from"),
                format!("{}: must differ from `to` ({})", field(idx, "from"), row.to),
            ));
        }
        if !can_enter_rates(caller, state.tariff(), row.to) {
            return Err(ApiError::forbidden(format!(
                "{}: rates into {} are entered by a platform administrator or an administrator of the customs administration of {}",
                field(idx, "to"),
                row.to,
                countries_of_currency(state.tariff(), row.to)
                    .iter()
                    .map(CountryCode::as_str)
                    .collect::<Vec<_>>()
                    .join(" or ")
            ))
            .with_field(field(idx, "to")));
        }
        if !seen.insert((row.rate.valid_from, row.rate.currency, row.to)) {
            return Err(invalid(
                field(idx, "date"),
                format!(
                    "{}: a second {} to {} rate for {}; give one rate a day",
                    field(idx, "date"),
                    row.rate.currency,
                    row.to,
                    row.rate.valid_from
                ),
            ));
        }
        out.push(NewRate {
            date: row.rate.valid_from,
            from: row.rate.currency,
            to: row.to,
            rate: row.rate.rate.to_string(),
            source: row.rate.source,
        });
    }
    Ok(out)
}

async fn put_checked(
    state: &AppState,
    caller: &Caller,
    rates: &[NewRate],
) -> Result<PutRates, ApiError> {
    let change = Change { actor: caller.actor(), at: (state.clock)() };
    let put = state.store.put_exchange_rates(&change, rates).await?;
    let mut currencies: Vec<CurrencyCode> = rates.iter().map(|r| r.to).collect();
    currencies.sort();
    currencies.dedup();
    for to in currencies {
        state.tariff().stored_rates.forget(&to);
    }
    Ok(put)
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
    if req.rates.len() > MAX_RATES_PER_PUT {
        return Err(invalid(
            "rates",
            format!("rates: at most {MAX_RATES_PER_PUT} rates at once, got {}", req.rates.len()),
        ));
    }
    let rows = parse_rate_inputs(&req.rates)?;
    let rates = checked_rows(&state, &caller, rows, |idx, name| format!("rates[{idx}].{name}"))?;
    Ok(Json(PutRatesAnswer { counts: put_checked(&state, &caller, &rates).await? }))
}

// ---------------------------------------------------------------------------------------------
// The page.

/// A file chosen on the page: CSV text (UTF-8, no NUL byte), at most 1 MiB.
const CSV_RULE: caravan_web::multipart::FileRule = caravan_web::multipart::FileRule {
    max_bytes: 1024 * 1024,
    type_name: "CSV text file",
    accepts: |bytes| std::str::from_utf8(bytes).is_ok_and(|text| !text.contains('\0')),
};

/// Rates CSV from the page (pasted or uploaded), header line optional, read as the CLI reads
/// `--rates`.
fn page_rows(text: &str, field: &str) -> Result<Vec<RateRow>, ApiError> {
    let text = text.trim().trim_start_matches('\u{feff}');
    let header = caravan_tariff::RATES_HEADER.join(",");
    let csv = if text.starts_with(&header) { text.to_owned() } else { format!("{header}\n{text}") };
    caravan_tariff::parse_rates_csv(&csv).map_err(|err| {
        ApiError::unprocessable("request.invalid_field", format!("{field}: {err}"))
            .with_field(field)
    })
}

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
    let stored = match state.store.exchange_rates(to, 200).await {
        Ok(rates) => rates,
        Err(err) => return caravan_web::ui::error_page(lang, caller, &ApiError::from(err)),
    };
    let currencies = schedule_currencies(state.tariff());
    let may_enter: Vec<&CurrencyCode> = match caller {
        Some(caller) => {
            currencies.iter().filter(|c| can_enter_rates(caller, state.tariff(), **c)).collect()
        }
        None => Vec::new(),
    };
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
        match parse_to(to_text) {
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
        let mut rows = Vec::new();
        if !pasted.trim().is_empty() {
            rows.extend(page_rows(&pasted, "rates")?);
        }
        if let Some(file) = form.file("file") {
            let text = String::from_utf8_lossy(&file.content);
            rows.extend(page_rows(&text, "file")?);
        }
        let rates = checked_rows(&state, &caller, rows, |idx, name| {
            format!("rates (row {}, column {name})", idx + 1)
        })?;
        put_checked(&state, &caller, &rates).await
    }
    .await;
    match outcome {
        Ok(put) => rates_page(&state, lang, Some(&caller), None, Some(Ok(put)), "").await,
        Err(err) => rates_page(&state, lang, Some(&caller), None, Some(Err(&err)), &pasted).await,
    }
}
