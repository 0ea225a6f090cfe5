//! Tariff and origin over HTTP (issue 4): duty calculation, national lines, origin self-assessment; the duty calculator and origin wizard pages. Owns the schedules compiled into the binary.
//!
//! The API is public, like the HS reference data: it reads the compiled-in schedules and rule
//! books and the official exchange rates entered on this server (published figures), never
//! anyone's own data, so it takes no [`caravan_web::auth::Caller`]; entering rates ([`rates`]) does. It is
//! protected by the global body limit, by per-request limits on list sizes and text lengths,
//! and by validating every input into the one error shape naming the field.

pub mod pages;
pub mod rates;
pub mod service;

use std::collections::BTreeSet;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use caravan_origin::{AssessOptions, Material, Product, RuleBook};
use caravan_tariff::{Declaration, Quantity, Unit};
use caravan_types::{CountryCode, CurrencyCode, Decimal, HsCode, Money};
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::{IntoParams, OpenApi, ToSchema};

use caravan_web::AppState;
use caravan_web::error::{ApiError, ApiJson, ApiQuery, ErrorBody};

pub use pages::TariffKey;
pub use service::{StoredRates, can_enter_rates, official_rates_on};

/// The schedule files shipped in `data/tariff/schedules/`, compiled in: the real KZ and KG
/// schedules imported from the EAEU Common Customs Tariff, and the illustrative samples (see
/// `data/tariff/PROVENANCE.md`).
const SCHEDULES: &[(&str, &str)] = &[
    ("CN/2026-01-01.json", include_str!("../../../data/tariff/schedules/CN/2026-01-01.json")),
    ("EAEU/2025-01-01.json", include_str!("../../../data/tariff/schedules/EAEU/2025-01-01.json")),
    ("EAEU/2026-01-01.json", include_str!("../../../data/tariff/schedules/EAEU/2026-01-01.json")),
    ("KG/2026-01-01.json", include_str!("../../../data/tariff/schedules/KG/2026-01-01.json")),
    ("KZ/2026-01-01.json", include_str!("../../../data/tariff/schedules/KZ/2026-01-01.json")),
    ("TJ/2026-01-01.json", include_str!("../../../data/tariff/schedules/TJ/2026-01-01.json")),
    ("TM/2026-01-01.json", include_str!("../../../data/tariff/schedules/TM/2026-01-01.json")),
    ("UZ/2026-01-01.json", include_str!("../../../data/tariff/schedules/UZ/2026-01-01.json")),
];

/// The rule books shipped in `data/tariff/origin/`, compiled in, by the id clients name them with.
const RULE_BOOKS: &[(&str, &str)] =
    &[("cca-illustrative", include_str!("../../../data/tariff/origin/cca-illustrative.json"))];

/// The largest bill of materials one assessment may carry.
pub const MAX_BOM_LINES: usize = 500;
/// The most documents one calculation may present.
pub const MAX_DOCUMENTS: usize = 32;
/// The longest free text (description, process) accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 500;

/// A rule book the server answers from, with the id clients name it by.
pub struct RuleBookEntry {
    /// Stable id (`cca-illustrative`), the `agreement` of an assessment request.
    pub id: &'static str,
    /// The compiled rules.
    pub book: RuleBook,
}

/// The tariff feature's state, read from [`AppState`]'s features.
pub trait TariffState {
    /// Tariff schedules and rules of origin.
    fn tariff(&self) -> &TariffData;
}

impl TariffState for AppState {
    fn tariff(&self) -> &TariffData {
        self.feature::<TariffData>()
    }
}

/// Tariff schedules and rule books the server answers from.
pub struct TariffData {
    /// Every shipped schedule, by jurisdiction and validity date.
    pub tariff: caravan_tariff::Tariff,
    /// Every shipped rule book of origin.
    pub rule_books: Vec<RuleBookEntry>,
    /// Codes of the documents the schedules ask for (for the calculator's check boxes).
    pub documents: Vec<String>,
    /// The official rates administrators entered, per schedule currency, as the calculator
    /// reads them ([`service::stored_rates_for`]); keyed by the currencies of the shipped
    /// schedules only, so the map stays as small as they are.
    pub(crate) stored_rates:
        caravan_web::memo::Memo<CurrencyCode, std::sync::Arc<service::StoredRates>>,
}

impl TariffData {
    /// Compiles the shipped schedules and rule books.
    ///
    /// # Errors
    /// A shipped file that does not compile (a build defect; the message names the file
    /// and field).
    pub fn load() -> anyhow::Result<TariffData> {
        let mut tariff = caravan_tariff::Tariff::new();
        let mut documents = BTreeSet::new();
        for (name, text) in SCHEDULES {
            let schedule = caravan_tariff::parse_schedule(text).map_err(|errors| {
                let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
                anyhow::anyhow!("data/tariff/schedules/{name}: {}", list.join("; "))
            })?;
            documents.extend(schedule.measures.iter().filter_map(|m| m.document.clone()));
            tariff.insert(schedule);
        }
        let mut rule_books = Vec::new();
        for (id, text) in RULE_BOOKS {
            let book = caravan_origin::parse_rule_book(text)
                .map_err(|err| anyhow::anyhow!("data/tariff/origin/{id}.json: {err}"))?;
            rule_books.push(RuleBookEntry { id, book });
        }
        Ok(TariffData {
            tariff,
            rule_books,
            documents: documents.into_iter().collect(),
            stored_rates: caravan_web::memo::Memo::new(Some(service::STORED_RATES_TTL)),
        })
    }

    /// The rule book with this id.
    pub fn rule_book(&self, id: &str) -> Option<&RuleBook> {
        self.rule_books.iter().find(|e| e.id == id).map(|e| &e.book)
    }
}

// ---------------------------------------------------------------------------------------------
// Input parsing shared by the API and the pages.

fn invalid(field: impl Into<String>, message: impl Into<String>) -> ApiError {
    ApiError::unprocessable("request.invalid_field", message).with_field(field)
}

/// A decimal sent as a JSON string (`"1000.00"`, exact) or a JSON number.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum DecimalInput {
    /// `"1000.00"`.
    Text(String),
    /// `1000.00` (read through its shortest decimal form).
    Number(serde_json::Number),
}

impl DecimalInput {
    fn text(&self) -> String {
        match self {
            DecimalInput::Text(text) => text.trim().to_owned(),
            DecimalInput::Number(number) => number.to_string(),
        }
    }
}

pub(crate) fn parse_decimal(field: &str, text: &str) -> Result<Decimal, ApiError> {
    let text = text.trim();
    let parsed = if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).ok()
    } else {
        text.parse::<Decimal>().ok()
    };
    parsed.ok_or_else(|| {
        invalid(field, format!("{field}: {text:?} is not a decimal number (use a dot: 1000.00)"))
    })
}

pub(crate) fn parse_date(field: &str, text: &str) -> Result<Date, ApiError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text.trim(), format).map_err(|_| {
        invalid(field, format!("{field}: expected a date as YYYY-MM-DD, got {text:?}"))
    })
}

pub(crate) fn parse_code(field: &str, text: &str) -> Result<HsCode, ApiError> {
    HsCode::parse(text.trim()).map_err(|err| {
        invalid(field, format!("{field}: {err} (give 2, 4, 6, 8 or 10 digits, e.g. 7403110000)"))
    })
}

pub(crate) fn parse_country(field: &str, text: &str) -> Result<CountryCode, ApiError> {
    CountryCode::parse(&text.trim().to_uppercase()).map_err(|err| {
        invalid(field, format!("{field}: {err} (give an ISO 3166 alpha-2 code such as CN)"))
    })
}

/// The schedule a jurisdiction text names: a country's own schedule when the tariff has one
/// (KZ and KG: the real EAEU Common Customs Tariff in their currency, with their VAT), the EAEU
/// sample for another member of the union ([`caravan_tariff::jurisdiction_of`]), else the text
/// as given, upper-cased (`EAEU` itself, or a name the engine then refuses).
pub(crate) fn normalise_jurisdiction(tariff: &caravan_tariff::Tariff, text: &str) -> String {
    let upper = text.trim().to_uppercase();
    CountryCode::parse(&upper)
        .ok()
        .and_then(|country| {
            caravan_tariff::jurisdiction_of(&country, |j| !tariff.versions(j).is_empty())
        })
        .unwrap_or(upper)
}

/// An official exchange rate given with a calculation, as a row of `caravan tariff calculate
/// --rates`: one `from` is worth `rate` `to` on `date`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateInput {
    /// The day the rate is for, YYYY-MM-DD.
    #[schema(example = "2026-03-02", format = Date)]
    pub date: String,
    /// The foreign currency, ISO 4217.
    #[schema(example = "EUR", pattern = "^[A-Za-z]{3}$")]
    pub from: String,
    /// The schedule's currency, ISO 4217.
    #[schema(example = "KZT", pattern = "^[A-Za-z]{3}$")]
    pub to: String,
    /// Units of `to` per one `from`, as a decimal string.
    #[schema(value_type = String, example = "545.12")]
    pub rate: DecimalInput,
    /// Who published the rate.
    #[schema(example = "National Bank of Kazakhstan")]
    pub source: String,
}

/// The most exchange rates one calculation may carry.
pub const MAX_RATES: usize = 64;

fn rate_rows(rates: &[RateInput]) -> Result<Vec<caravan_tariff::RateRow>, ApiError> {
    if rates.len() > MAX_RATES {
        return Err(invalid(
            "rates",
            format!("rates: at most {MAX_RATES} rates, got {}", rates.len()),
        ));
    }
    parse_rate_inputs(rates)
}

/// The rows of `rates`, each field checked and named (`rates[3].date`); the caller bounds the count.
fn parse_rate_inputs(rates: &[RateInput]) -> Result<Vec<caravan_tariff::RateRow>, ApiError> {
    let mut rows = Vec::with_capacity(rates.len());
    for (idx, rate) in rates.iter().enumerate() {
        let field = |name: &str| format!("rates[{idx}].{name}");
        let currency = |name: &str, text: &str| {
            CurrencyCode::parse(&text.trim().to_uppercase()).map_err(|err| {
                invalid(
                    field(name),
                    format!("{}: {err} (an ISO 4217 code such as EUR)", field(name)),
                )
            })
        };
        let value = parse_decimal(&field("rate"), &rate.rate.text())?;
        if value <= Decimal::ZERO {
            return Err(invalid(field("rate"), format!("{}: must be positive", field("rate"))));
        }
        let source = bounded_text(&field("source"), &rate.source)?;
        if source.trim().is_empty() {
            return Err(invalid(
                field("source"),
                format!("{}: name who published the rate", field("source")),
            ));
        }
        rows.push(caravan_tariff::RateRow {
            to: currency("to", &rate.to)?,
            rate: caravan_tariff::ExchangeRate {
                currency: currency("from", &rate.from)?,
                rate: value,
                valid_from: parse_date(&field("date"), &rate.date)?,
                source,
            },
        });
    }
    Ok(rows)
}

/// The quantity of goods, for specific duties.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuantityInput {
    /// Amount, e.g. `"12.5"`.
    #[schema(value_type = String, example = "20000")]
    pub amount: DecimalInput,
    /// UN/ECE Rec 20 unit code: KGM, TNE, LTR, HLT, NAR, PR, ...
    #[schema(example = "KGM")]
    pub unit: String,
}

/// `POST /api/v1/tariff/calculate`: the same inputs as `caravan tariff calculate`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalculateRequest {
    /// Importing jurisdiction: KZ, KG (the real EAEU Common Customs Tariff with national VAT),
    /// EAEU (the illustrative sample), CN, UZ, TJ, TM.
    #[schema(example = "EAEU", pattern = "^(EAEU|CN|UZ|TJ|TM|KZ|KG)$")]
    pub jurisdiction: String,
    /// Date of the declaration, YYYY-MM-DD; default today.
    #[schema(example = "2026-03-01", format = Date)]
    pub date: Option<String>,
    /// National tariff line.
    #[schema(example = "7403110000", pattern = r"^[0-9]{2}(\.?[0-9]{2}){0,4}$")]
    pub code: String,
    /// Country of origin, ISO 3166 alpha-2.
    #[schema(example = "UZ", pattern = "^[A-Za-z]{2}$")]
    pub origin: String,
    /// Customs value as a decimal string (a JSON number is accepted too).
    #[schema(value_type = String, example = "100000.00")]
    pub value: DecimalInput,
    /// Currency of the value, ISO 4217.
    #[schema(example = "USD", pattern = "^[A-Za-z]{3}$")]
    pub currency: String,
    /// Quantity with its unit, needed when a specific duty applies.
    #[serde(default)]
    pub quantity: Option<QuantityInput>,
    /// Codes of the documents presented: origin-cert, phytosanitary-cert, import-licence, ...
    #[serde(default)]
    pub documents: Vec<String>,
    /// Official exchange rates for the declaration date (as `caravan tariff calculate --rates`):
    /// a currency pair given here must have a row for that date; the result states the rate used.
    #[serde(default)]
    pub rates: Vec<RateInput>,
}

fn document_code(field: &str, text: &str) -> Result<String, ApiError> {
    let code = text.trim().to_lowercase();
    let ok = !code.is_empty()
        && code.len() <= 64
        && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(code)
    } else {
        Err(invalid(
            field,
            format!(
                "{field}: {text:?} is not a document code (letters, digits and '-', e.g. origin-cert)"
            ),
        ))
    }
}

impl CalculateRequest {
    /// Validates the request into the engine's declaration.
    ///
    /// # Errors
    /// The first field that does not parse, named as in the request.
    pub fn declaration(
        &self,
        tariff: &caravan_tariff::Tariff,
        today: Date,
    ) -> Result<Declaration, ApiError> {
        if self.jurisdiction.trim().is_empty() {
            return Err(invalid(
                "jurisdiction",
                "jurisdiction: give KZ, KG, EAEU, CN, UZ, TJ or TM",
            ));
        }
        let date = match self.date.as_deref().filter(|d| !d.trim().is_empty()) {
            Some(text) => parse_date("date", text)?,
            None => today,
        };
        let code = parse_code("code", &self.code)?;
        let origin = parse_country("origin", &self.origin)?;
        let value = parse_decimal("value", &self.value.text())?;
        let currency =
            CurrencyCode::parse(&self.currency.trim().to_uppercase()).map_err(|err| {
                invalid("currency", format!("currency: {err} (give an ISO 4217 code such as USD)"))
            })?;
        let quantity = match &self.quantity {
            None => None,
            Some(q) => Some(Quantity {
                amount: parse_decimal("quantity.amount", &q.amount.text())?,
                unit: Unit::parse(q.unit.trim())
                    .map_err(|err| invalid("quantity.unit", format!("quantity.unit: {err}")))?,
            }),
        };
        if self.documents.len() > MAX_DOCUMENTS {
            return Err(invalid(
                "documents",
                format!(
                    "documents: at most {MAX_DOCUMENTS} documents, got {}",
                    self.documents.len()
                ),
            ));
        }
        let documents = self
            .documents
            .iter()
            .enumerate()
            .map(|(idx, d)| document_code(&format!("documents[{idx}]"), d))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Declaration {
            jurisdiction: normalise_jurisdiction(tariff, &self.jurisdiction),
            date,
            code,
            origin,
            customs_value: Money::new(value, currency),
            quantity,
            documents,
        })
    }
}

fn json_bytes(value: &impl Serialize) -> Result<Response, ApiError> {
    let body = serde_json::to_vec(value).map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// Duties and taxes due on an import: every measure applied with its amount and legal basis,
/// the total, the VAT base, every measure considered and why it did not apply, the exchange
/// rates used (the request's `rates`, or else the official rates entered on this server for KZ
/// and KG; `exchange_rates_from` says which), and the illustrative notice of the schedule. Public.
#[utoipa::path(post, path = "/api/v1/tariff/calculate", tag = "tariff", request_body = CalculateRequest,
    responses((status = 200, description = "The breakdown (caravan_tariff::Calculation)", content_type = "application/json"),
        (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn calculate(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<CalculateRequest>,
) -> Result<Response, ApiError> {
    service::calculate_request(&state, &req, |calculation, from| {
        json_bytes(&CalculateAnswer { calculation, exchange_rates_from: from.as_str() })
    })
    .await?
}

/// The answer of `POST /api/v1/tariff/calculate`: the breakdown and where its rates came from.
#[derive(Serialize)]
struct CalculateAnswer<'a> {
    #[serde(flatten)]
    calculation: caravan_tariff::Calculation<'a>,
    /// `request` (the `rates` given), `stored` (official rates entered on this server) or
    /// `schedule` (the schedule's own, or none needed).
    exchange_rates_from: &'static str,
}

/// One schedule version, as `GET /api/v1/tariff/jurisdictions` lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleSummary {
    pub title: String,
    /// Publication date of the version.
    pub version: String,
    pub valid_from: String,
    pub valid_to: Option<String>,
    pub illustrative: bool,
    pub notice: String,
    pub currency: String,
    pub nomenclature: String,
    pub lines: usize,
    pub measures: usize,
}

/// A jurisdiction and its schedule versions.
#[derive(Debug, Serialize, ToSchema)]
pub struct JurisdictionSummary {
    pub jurisdiction: String,
    pub versions: Vec<ScheduleSummary>,
}

/// The tariff schedules loaded, per jurisdiction, with their validity dates.
#[utoipa::path(get, path = "/api/v1/tariff/jurisdictions", tag = "tariff",
    responses((status = 200, body = Vec<JurisdictionSummary>)))]
pub async fn jurisdictions(State(state): State<AppState>) -> Result<Response, ApiError> {
    json_bytes(&service::jurisdictions(&state))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DateParam {
    /// YYYY-MM-DD; default today.
    #[param(format = Date)]
    pub date: Option<String>,
}

/// A measure of a line, as the line browser shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeasureView {
    pub id: String,
    pub kind: String,
    /// HS level the measure is attached to.
    pub applies_to: String,
    /// Origin as written: a group, a country or `ERGA_OMNES`.
    pub origin: String,
    pub excluded_origins: Vec<String>,
    pub duty: Option<String>,
    pub document: Option<String>,
    pub agreement: Option<String>,
    pub valid_from: String,
    pub valid_to: Option<String>,
    pub legal_reference: String,
    /// `real` (law, cited in `legal_reference`) or `illustrative` (a sample rate).
    #[schema(example = "real")]
    pub provenance: String,
}

/// A national tariff line with its measures in force on the date asked.
#[derive(Debug, Serialize, ToSchema)]
pub struct LineView {
    pub code: String,
    pub description: String,
    pub valid_from: String,
    pub valid_to: Option<String>,
    pub supplementary_unit: Option<String>,
    pub measures: Vec<MeasureView>,
}

/// `GET /api/v1/tariff/lines/{jurisdiction}/{code}`: the lines under a code on a date.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinesAnswer {
    pub jurisdiction: String,
    pub schedule: ScheduleSummary,
    pub date: String,
    pub lines: Vec<LineView>,
}

/// The most lines one browse answers with.
pub const MAX_LINES: usize = 200;

/// The national line(s) at or under a code and their measures in force at a date.
#[utoipa::path(get, path = "/api/v1/tariff/lines/{jurisdiction}/{code}", tag = "tariff",
    params(("jurisdiction" = String, Path, description = "KZ, KG (the real EAEU Common Customs Tariff), EAEU (illustrative sample), CN, UZ, TJ, TM",
            pattern = "^(EAEU|CN|UZ|TJ|TM|KZ|KG)$"),
        ("code" = String, Path, description = "A national line or a heading, e.g. 7403110000 or 7403",
            pattern = r"^[0-9]{2}(\.?[0-9]{2}){0,4}$"), DateParam),
    responses((status = 200, body = LinesAnswer), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn lines(
    State(state): State<AppState>,
    Path((jurisdiction, code)): Path<(String, String)>,
    ApiQuery(params): ApiQuery<DateParam>,
) -> Result<Response, ApiError> {
    let date = params.date.as_deref().unwrap_or("");
    let answer = service::lines(&state, &jurisdiction, &code, date, caravan_refdata::Lang::En)?;
    json_bytes(&answer)
}

// ---------------------------------------------------------------------------------------------
// Origin.

/// A rule book, as `GET /api/v1/origin/agreements` lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementSummary {
    /// The id to give as `agreement` in an assessment.
    pub id: String,
    pub agreement: String,
    pub illustrative: bool,
    pub notice: Option<String>,
    pub parties: Vec<String>,
    pub cumulation: Vec<String>,
    pub tolerance_percent: Option<String>,
    pub rule_sets: usize,
}

/// The rule books of origin loaded.
#[utoipa::path(get, path = "/api/v1/origin/agreements", tag = "origin",
    responses((status = 200, body = Vec<AgreementSummary>)))]
pub async fn agreements(State(state): State<AppState>) -> Result<Response, ApiError> {
    json_bytes(&service::agreements(&state))
}

/// One input of the bill of materials.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BomLineInput {
    #[schema(example = "7403")]
    pub hs_code: String,
    #[schema(example = "KZ")]
    pub origin: String,
    /// Value in the price's currency, a decimal string (a JSON number is accepted too).
    #[schema(value_type = String, example = "450.00")]
    pub value: DecimalInput,
    #[serde(default)]
    pub description: Option<String>,
}

/// `POST /api/v1/origin/assess`: the same inputs as `caravan origin assess`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessRequest {
    /// Rule book id from `GET /api/v1/origin/agreements`.
    #[schema(example = "cca-illustrative")]
    pub agreement: String,
    /// HS code of the product.
    #[schema(example = "854442", pattern = r"^[0-9]{2}(\.?[0-9]{2}){0,4}$")]
    pub product: String,
    /// Exporting country, ISO 3166 alpha-2.
    #[schema(example = "UZ", pattern = "^[A-Za-z]{2}$")]
    pub exporter: String,
    /// Ex-works (or FOB) price, a decimal string.
    #[schema(value_type = String, example = "1000.00")]
    pub price: DecimalInput,
    /// The bill of materials.
    pub bom: Vec<BomLineInput>,
    /// Specific processes carried out, in the rule's words.
    #[serde(default)]
    pub processes: Vec<String>,
    /// Cumulation partners to add to the rule book's.
    #[serde(default)]
    pub cumulation: Vec<String>,
}

fn bounded_text(field: &str, text: &str) -> Result<String, ApiError> {
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(invalid(field, format!("{field}: at most {MAX_TEXT_CHARS} characters")));
    }
    Ok(text.trim().to_owned())
}

/// A validated assessment: the rule book, product, materials and options.
pub(crate) struct Assessment<'d> {
    pub book: &'d RuleBook,
    pub product: Product,
    pub bom: Vec<Material>,
    pub options: AssessOptions,
}

impl AssessRequest {
    /// Validates the request.
    ///
    /// # Errors
    /// The first field that does not parse, named as in the request (`bom[2].origin`).
    pub(crate) fn validate<'d>(&self, data: &'d TariffData) -> Result<Assessment<'d>, ApiError> {
        let book = data.rule_book(self.agreement.trim()).ok_or_else(|| {
            let ids: Vec<&str> = data.rule_books.iter().map(|e| e.id).collect();
            invalid(
                "agreement",
                format!("agreement: no rule book {:?}; known: {}", self.agreement, ids.join(", ")),
            )
        })?;
        let hs_code = parse_code("product", &self.product)?;
        let exporter = parse_country("exporter", &self.exporter)?;
        let price = parse_decimal("price", &self.price.text())?;
        if self.bom.len() > MAX_BOM_LINES {
            return Err(invalid(
                "bom",
                format!("bom: at most {MAX_BOM_LINES} lines, got {}", self.bom.len()),
            ));
        }
        let mut bom = Vec::with_capacity(self.bom.len());
        for (idx, line) in self.bom.iter().enumerate() {
            let value = parse_decimal(&format!("bom[{idx}].value"), &line.value.text())?;
            if value.is_sign_negative() {
                return Err(invalid(
                    format!("bom[{idx}].value"),
                    format!("bom[{idx}].value: must not be negative, got {value}"),
                ));
            }
            let description = match &line.description {
                Some(d) => Some(bounded_text(&format!("bom[{idx}].description"), d)?),
                None => None,
            }
            .filter(|d| !d.is_empty());
            bom.push(Material {
                hs_code: parse_code(&format!("bom[{idx}].hs_code"), &line.hs_code)?,
                origin: parse_country(&format!("bom[{idx}].origin"), &line.origin)?,
                value,
                description,
            });
        }
        if self.processes.len() > 20 {
            return Err(invalid("processes", "processes: at most 20"));
        }
        let declared_processes = self
            .processes
            .iter()
            .enumerate()
            .map(|(idx, p)| bounded_text(&format!("processes[{idx}]"), p))
            .collect::<Result<Vec<_>, _>>()?;
        if self.cumulation.len() > 50 {
            return Err(invalid("cumulation", "cumulation: at most 50 countries"));
        }
        let cumulation = self
            .cumulation
            .iter()
            .enumerate()
            .map(|(idx, c)| parse_country(&format!("cumulation[{idx}]"), c))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Assessment {
            book,
            product: Product { hs_code, exporter, price },
            bom,
            options: AssessOptions { declared_processes, cumulation, tolerance_percent: None },
        })
    }
}

/// Does a product qualify as originating under an agreement? The verdict, the rule applied
/// and a step-by-step explanation. Public and stateless.
#[utoipa::path(post, path = "/api/v1/origin/assess", tag = "origin", request_body = AssessRequest,
    responses((status = 200, description = "The verdict (caravan_origin::Verdict)", content_type = "application/json"),
        (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn assess(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<AssessRequest>,
) -> Result<Response, ApiError> {
    json_bytes(&service::assess(&state, &req)?)
}

/// The OpenAPI paths of this module, merged into `caravan_server::openapi`.
#[derive(OpenApi)]
#[openapi(paths(calculate, jurisdictions, lines, agreements, assess, rates::list, rates::put))]
pub struct ApiDoc;

/// This module's routes: its API under `/api/v1` and its pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tariff/calculate", post(calculate))
        .route("/api/v1/tariff/jurisdictions", get(jurisdictions))
        .route("/api/v1/tariff/rates", get(rates::list).post(rates::put))
        .route("/tariff/rates", get(rates::page_get).post(rates::page_post))
        .route("/api/v1/tariff/lines/{jurisdiction}/{code}", get(lines))
        .route("/api/v1/origin/agreements", get(agreements))
        .route("/api/v1/origin/assess", post(assess))
        .route("/tariff", get(pages::calculator))
        .route("/tariff/lines", get(pages::lines_form))
        .route("/tariff/lines/{jurisdiction}/{code}", get(pages::lines_page))
        .route("/origin", get(pages::origin_start).post(pages::origin_step))
}

/// The feature's links in the main menu: the duty calculator and the origin wizard are public.
pub fn navigation() -> Vec<caravan_web::ui::NavLink> {
    use caravan_web::i18n::Key;
    use caravan_web::ui::NavLink;
    vec![NavLink::public("/tariff", Key::nav_tariff), NavLink::public("/origin", Key::nav_origin)]
}
