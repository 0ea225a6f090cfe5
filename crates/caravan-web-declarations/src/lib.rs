//! The single window over HTTP (issue 5): declarations drafted, lodged, assessed, routed and
//! decided; amendments; versioned risk rules; the trader, officer, agency and administrator pages.
//!
//! Lodging runs the whole pipeline in the request: validation (every field error at once),
//! certificate verification (`caravan_web_certs::verify_presented`, plus goods and parties matching
//! the declaration), duties with `caravan_tariff::calculate` (a preference only when a
//! certificate of origin verified), risk assessment with the country's current rule set, agency
//! routing, and the lifecycle events lodge → assess → route. The result goes to one writer task
//! ([`Window`]) that commits every lodgement waiting at that moment in one durable transaction
//! (group commit) and answers each request only after its batch committed.

pub mod pages;
pub mod service;

pub use service::{
    ITEM_COLUMNS, Lodged, REQUEST_DIGEST_FIELD, agency_decide_on, agency_of, can_decide, can_lodge,
    can_manage_rules, can_read, decide_on, items_from_csv, lodge, lodge_saved_draft, lodge_text,
    preview, replace_items, request_digest,
};
use service::{country_param, detail_json, load_of, save_draft_body};

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use caravan_customs::risk::{RiskRuleSet, RoutingTable};
use caravan_customs::{CodeListSources, CodeLists, Json};
use caravan_store::declarations::{LodgeReceipt, Lodgement, TraderRecord};
use caravan_store::{Store, StoreResult};
use caravan_types::CountryCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};
use utoipa::OpenApi;

use caravan_web::AppState;
use caravan_web::auth::Caller;
use caravan_web::error::{ApiError, ApiJson, ApiQuery};
use caravan_web::memo::Memo;

caravan_web::strings! { DeclKey {
    title => ["Declarations", "Декларации", "报关单"],
    queue => ["Queue, riskiest first", "Очередь, сначала самые рискованные", "队列(风险高者优先)"],
    agency_queue => ["Parts awaiting your agency", "Части, ожидающие решения вашего ведомства", "待本机构审批的部分"],
    reference => ["Reference", "Номер", "编号"],
    status => ["Status", "Статус", "状态"],
    channel => ["Channel", "Канал", "通道"],
    version => ["Version", "Версия", "版本"],
    none_yet => ["No declarations yet.", "Деклараций пока нет.", "暂无报关单。"],
    new_declaration => ["New declaration", "Новая декларация", "新建报关单"],
    data_set => ["Data set (JSON, fields in data/customs/DICTIONARY.md)", "Набор данных (JSON, поля в data/customs/DICTIONARY.md)", "数据集(JSON,字段见 data/customs/DICTIONARY.md)"],
    save_draft => ["Save draft", "Сохранить черновик", "保存草稿"],
    preview => ["Preview duties and channel", "Предпросмотр пошлин и канала", "预览税费和通道"],
    lodge => ["Lodge", "Подать", "申报"],
    next_step => ["Save a draft to finish later, preview the duties, then lodge.", "Сохраните черновик, чтобы закончить позже, посмотрите пошлины, затем подайте.", "可先保存草稿,预览税费,然后申报。"],
    preview_result => ["Preview (nothing was stored)", "Предпросмотр (ничего не сохранено)", "预览(未保存任何内容)"],
    reasons => ["Why this channel", "Почему этот канал", "通道原因"],
    certificates => ["Certificates", "Сертификаты", "证书"],
    verified => ["verified", "проверен", "已验证"],
    not_verified => ["not verified", "не проверен", "未验证"],
    duties => ["Duties and taxes", "Пошлины и налоги", "税费"],
    item => ["Item", "Товар", "商品项"],
    tax => ["Duty or tax", "Платёж", "税种"],
    amount => ["Amount", "Сумма", "金额"],
    source => ["Source", "Источник", "来源"],
    provenance_real => ["real (law)", "действующая ставка", "现行法定税率"],
    provenance_illustrative => ["illustrative (sample rate)", "иллюстративная (пример ставки)", "示例(样本税率)"],
    duties_illustrative => [
        "Some of these amounts come from illustrative sample rates, not from law: do not pay or budget by them.",
        "Часть этих сумм рассчитана по иллюстративным ставкам, а не по закону: не используйте их для оплаты и планирования.",
        "部分金额按示例税率而非法定税率计算:请勿据此缴纳或做预算。"
    ],
    timeline => ["Timeline", "История", "时间线"],
    agencies => ["Agencies", "Ведомства", "相关机构"],
    decision => ["Decision", "Решение", "决定"],
    comment => ["Comment", "Комментарий", "备注"],
    record_decision => ["Record decision", "Записать решение", "记录决定"],
    release => ["Release", "Выпустить", "放行"],
    request_documents => ["Request documents", "Запросить документы", "要求补充单证"],
    inspect => ["Inspect", "Досмотреть", "查验"],
    reject => ["Reject", "Отказать", "拒绝"],
    approve => ["Approve", "Одобрить", "批准"],
    refuse => ["Refuse", "Отказать", "驳回"],
    items_csv => ["Item lines (CSV with a header row)", "Товарные позиции (CSV со строкой заголовка)", "商品行(带标题行的 CSV)"],
    upload_items => ["Replace items from CSV", "Заменить позиции из CSV", "用 CSV 替换商品行"],
    lodge_draft => ["Lodge this draft", "Подать этот черновик", "申报此草稿"],
    risk_rules => ["Risk rules", "Правила риска", "风险规则"],
    rules_json => ["Rules and reference values (JSON)", "Правила и эталонные значения (JSON)", "规则和参考值(JSON)"],
    save_version => ["Save as a new version", "Сохранить новую версию", "保存为新版本"],
    versions => ["Versions", "Версии", "版本"],
    fix_and_retry => ["Fix the fields named above and try again.", "Исправьте указанные поля и повторите.", "请修改上面指出的字段后重试。"],
    declaration => ["Declaration", "Декларация", "报关单"],
    tax_customs_duty => ["Customs duty", "Таможенная пошлина", "关税"],
    tax_vat => ["VAT", "НДС", "增值税"],
    tax_excise => ["Excise", "Акциз", "消费税"],
    tax_additional_duty => ["Additional duty (trade remedy)", "Специальная, антидемпинговая или компенсационная пошлина", "附加税(贸易救济)"],
    status_draft => ["draft", "черновик", "草稿"],
    status_lodged => ["lodged", "подана", "已申报"],
    status_assessed => ["assessed", "оценена", "已审核"],
    status_under_control => ["under customs control", "на таможенном контроле", "海关审查中"],
    status_awaiting_approvals => ["awaiting agencies", "ожидает ведомств", "待相关机构审批"],
    status_released => ["released", "выпущена", "已放行"],
    status_rejected => ["rejected", "отказано", "已拒绝"],
    channel_green => ["green", "зелёный", "绿色"],
    channel_yellow => ["yellow", "жёлтый", "黄色"],
    channel_red => ["red", "красный", "红色"],
    attention => ["Declarations that need you", "Декларации, требующие внимания", "需要您处理的报关单"],
    attention_none => ["Nothing waits for you.", "Ничего не ожидает вашего решения.", "目前没有待您处理的事项。"],
    oldest_waiting => ["Waiting longest since", "Дольше всех ждёт с", "等待最久的自"],
    open_list => ["Open the list", "Открыть список", "打开列表"],
    more_than => ["more than", "более", "超过"],
} }

/// Most lodgements committed in one transaction.
const MAX_BATCH: usize = 512;
/// Longest idempotency key accepted.
const MAX_KEY_CHARS: usize = 200;
/// How long a trader's compliance record is used before it is read again. A decision made
/// by this process forgets it at once; the bound is for decisions made by another server on the
/// same database. Lodgements in flight are not in the record either, whatever its age.
const TRADER_RECORD_TTL: Duration = Duration::from_secs(2);
/// The idempotency key header (IETF draft-ietf-httpapi-idempotency-key-header).
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

macro_rules! customs_file {
    ($path:literal) => {
        include_str!(concat!("../../../data/customs/", $path))
    };
}

/// The single window's state, read from [`AppState`]'s features.
pub trait WindowState {
    /// The single window's code lists, risk-rule cache and group-commit writer.
    fn declarations(&self) -> &Window;
}

impl WindowState for AppState {
    fn declarations(&self) -> &Window {
        self.feature::<Window>()
    }
}

/// The single window's compiled-in data, its risk-rule cache and its writer task.
pub struct Window {
    code_lists: CodeLists,
    routing: RoutingTable,
    /// The shipped rules, used by a country until its administrators store their own.
    default_rules: Arc<RiskRuleSet>,
    /// Each country's current rule set, read from the store once and replaced on PUT.
    rules: Memo<CountryCode, Arc<RiskRuleSet>>,
    /// Each organisation's compliance record (the risk rules' input): one store read per
    /// organisation every [`TRADER_RECORD_TTL`] instead of per lodgement.
    traders: Memo<i64, TraderRecord>,
    writer: OnceLock<mpsc::Sender<Job>>,
}

struct Job {
    lodgement: Lodgement,
    /// The answer, and the lodgement back: its (large) values are freed by the lodging task,
    /// not by the one writer every lodgement waits for.
    reply: oneshot::Sender<(StoreResult<LodgeReceipt>, Lodgement)>,
}

impl Window {
    /// Parses the shipped code lists, routing table and default risk rules.
    ///
    /// # Errors
    /// Only for a broken build: the message names the file.
    pub fn load() -> anyhow::Result<Window> {
        let code_lists = CodeLists::parse(&CodeListSources {
            offices: customs_file!("offices.csv"),
            procedures: customs_file!("procedures.csv"),
            transport_modes: customs_file!("transport-modes.csv"),
            package_kinds: customs_file!("package-kinds.csv"),
            document_types: customs_file!("document-types.csv"),
            valuation_methods: customs_file!("valuation-methods.csv"),
        })
        .map_err(|err| anyhow::anyhow!("data/customs code lists: {err}"))?;
        let routing = RoutingTable::parse(customs_file!("agency-routing.csv"))
            .map_err(|err| anyhow::anyhow!("data/customs/agency-routing.csv: {err}"))?;
        let default_rules = RiskRuleSet::parse(
            customs_file!("risk-rules.json"),
            customs_file!("reference-values.csv"),
        )
        .map_err(|err| anyhow::anyhow!("data/customs/risk-rules.json: {err}"))?;
        Ok(Window {
            code_lists,
            routing,
            default_rules: Arc::new(default_rules),
            rules: Memo::new(None),
            traders: Memo::new(Some(TRADER_RECORD_TTL)),
            writer: OnceLock::new(),
        })
    }

    /// The writer's queue, starting the writer on first use (it needs a running runtime).
    fn writer(&self, store: &Arc<dyn Store>) -> mpsc::Sender<Job> {
        self.writer
            .get_or_init(|| {
                let (sender, receiver) = mpsc::channel(MAX_BATCH * 8);
                tokio::spawn(write_batches(store.clone(), receiver));
                sender
            })
            .clone()
    }
}

/// The group commit: takes every job waiting (up to [`MAX_BATCH`]), writes them in one
/// transaction, then answers each. While a batch commits, the next one gathers.
async fn write_batches(store: Arc<dyn Store>, mut receiver: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let (lodgements, replies): (Vec<Lodgement>, Vec<_>) =
            jobs.drain(..).map(|job| (job.lodgement, job.reply)).unzip();
        match store.lodge_batch(&lodgements).await {
            Ok(results) => {
                for ((reply, result), lodgement) in replies.into_iter().zip(results).zip(lodgements)
                {
                    let _ = reply.send((result, lodgement));
                }
            }
            // The whole batch failed and nothing of it was kept; each lodgement gets the
            // error as it is (a full disk stays `Unavailable`: 503, try again), and the writer
            // goes on with the next batch, which a freed disk lets through (issue 22).
            Err(err) => {
                for (reply, lodgement) in replies.into_iter().zip(lodgements) {
                    let _ = reply.send((Err(err.clone()), lodgement));
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Policy

// ---------------------------------------------------------------------------------------------
// Requests and the lodging pipeline

/// A certificate presented with a declaration: the file's text, for the document `reference`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresentedCertificate {
    pub document_reference: String,
    /// The certificate as issued (JSON credential or JWS compact text).
    pub content: String,
}

/// A declaration to save, lodge or amend.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclarationRequest {
    /// The data set (see `data/customs/DICTIONARY.md`).
    #[schema(value_type = Object)]
    pub declaration: Value,
    #[serde(default)]
    pub certificates: Vec<PresentedCertificate>,
}

/// A [`DeclarationRequest`] read without building a `serde_json::Value`: its data set
/// borrows from the request body (see [`caravan_customs::json`]). Lodging reads each body so.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclarationText<'a> {
    #[serde(borrow)]
    pub declaration: Json<'a>,
    #[serde(default)]
    pub certificates: Vec<PresentedCertificate>,
}

/// Certificates presented when lodging a saved draft.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LodgeDraftRequest {
    #[serde(default)]
    pub certificates: Vec<PresentedCertificate>,
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(IDEMPOTENCY_HEADER) else { return Ok(None) };
    let key = value
        .to_str()
        .ok()
        .map(|k| k.trim().trim_matches('"').to_owned())
        .filter(|k| !k.is_empty() && k.chars().count() <= MAX_KEY_CHARS)
        .ok_or_else(|| {
            ApiError::bad_request(
                "request.idempotency_key",
                format!(
                    "the Idempotency-Key header must be 1 to {MAX_KEY_CHARS} visible characters"
                ),
            )
            .with_field("Idempotency-Key")
        })?;
    Ok(Some(key))
}

/// Which declarant's declaration of a reference: references are unique per declarant, so an
/// officer who sees two declarants' declarations of one reference names the declarant.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeclarantQuery {
    /// The declarant organisation's id, when two declarants you may see used the reference.
    pub declarant: Option<i64>,
}

// ---------------------------------------------------------------------------------------------
// Handlers

/// Saves a new draft (or replaces the caller's draft of the same reference).
#[utoipa::path(post, path = "/api/v1/declarations", tag = "declarations",
    request_body = DeclarationRequest,
    responses((status = 201, description = "The draft"), (status = 403, body = caravan_web::error::ErrorBody),
        (status = 422, body = caravan_web::error::ErrorBody)))]
pub async fn save_draft(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<DeclarationRequest>,
) -> Result<Response, ApiError> {
    let record = save_draft_body(&state, &caller, request.declaration).await?;
    Ok((StatusCode::CREATED, axum::Json(record)).into_response())
}

/// Replaces a draft's data set.
#[utoipa::path(put, path = "/api/v1/declarations/{reference}", tag = "declarations",
    params(("reference" = String, Path, description = "The declaration's reference (1 to 35 characters)", max_length = 35, min_length = 1)),
    request_body = DeclarationRequest,
    responses((status = 200, description = "The draft"), (status = 409, body = caravan_web::error::ErrorBody)))]
pub async fn update_draft(
    State(state): State<AppState>,
    caller: Caller,
    Path(reference): Path<String>,
    ApiJson(request): ApiJson<DeclarationRequest>,
) -> Result<Response, ApiError> {
    let record = service::update_draft(&state, &caller, &reference, request.declaration).await?;
    Ok(axum::Json(record).into_response())
}

fn lodged_response(lodged: Lodged) -> Response {
    let status = if lodged.replayed { StatusCode::OK } else { StatusCode::CREATED };
    (status, axum::Json(lodged.response)).into_response()
}

/// Lodges a declaration: validated, verified, assessed, routed and durably stored before the
/// answer. Send an `Idempotency-Key` header: a retry with it returns the first answer.
#[utoipa::path(post, path = "/api/v1/declarations/lodge", tag = "declarations",
    request_body = DeclarationRequest,
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, pattern = "^[!-~]{1,200}$",
        description = "unique per attempt, 1 to 200 visible characters; a retry returns the first answer")),
    responses((status = 201, description = "Lodged: reference, channel, reasons"), (status = 200, description = "A retry: the first answer"),
        (status = 403, body = caravan_web::error::ErrorBody), (status = 422, body = caravan_web::error::ErrorBody)))]
pub async fn lodge_new(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    if is_json(&headers)
        && let Ok(request) = serde_json::from_slice::<DeclarationText<'_>>(&body)
    {
        return Ok(lodged_response(lodge_text(&state, &caller, request, key).await?));
    }
    // What the borrowed reading refuses goes through the JSON extractor, whose refusal names
    // the field at fault (or the missing content type) as on every other endpoint.
    let mut request = axum::extract::Request::new(axum::body::Body::from(body));
    *request.headers_mut() = headers;
    let ApiJson(request) = ApiJson::<DeclarationRequest>::from_request(request, &state).await?;
    Ok(lodged_response(lodge(&state, &caller, request, key).await?))
}

/// Whether the request says its body is JSON (`application/json` or `application/…+json`, as
/// the JSON extractor accepts).
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(axum::http::header::CONTENT_TYPE) else { return false };
    let Ok(text) = value.to_str() else { return false };
    let essence = text.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence
        .strip_prefix("application/")
        .is_some_and(|subtype| subtype == "json" || subtype.ends_with("+json"))
}

/// Lodges a saved draft.
#[utoipa::path(post, path = "/api/v1/declarations/{reference}/lodge", tag = "declarations",
    params(("reference" = String, Path, description = "The declaration's reference (1 to 35 characters)", max_length = 35, min_length = 1)),
    request_body = LodgeDraftRequest,
    responses((status = 201, description = "Lodged"), (status = 422, body = caravan_web::error::ErrorBody)))]
pub async fn lodge_draft(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(reference): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let certificates = if body.iter().all(u8::is_ascii_whitespace) {
        Vec::new()
    } else {
        serde_json::from_slice::<LodgeDraftRequest>(&body)
            .map_err(|err| {
                ApiError::unprocessable("request.invalid_field", format!("the body: {err}"))
                    .with_field("certificates")
            })?
            .certificates
    };
    Ok(lodged_response(lodge_saved_draft(&state, &caller, &reference, certificates, key).await?))
}

/// List filters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only this status (`draft`, `lodged`, `under_control`, …).
    #[param(
        pattern = "^(draft|lodged|assessed|under_control|awaiting_approvals|released|rejected)$"
    )]
    pub status: Option<String>,
    /// At most this many (1 to 500, default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// The declarations the caller may see: a trader's company's; an officer's country's; an
/// agency's pending queue.
#[utoipa::path(get, path = "/api/v1/declarations", tag = "declarations", operation_id = "list_declarations", params(ListQuery),
    responses((status = 200, description = "Declarations, newest first"), (status = 403, body = caravan_web::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(service::list(&state, &caller, &query).await?).into_response())
}

/// The customs officers' queue of their country: declarations under control, riskiest first.
#[utoipa::path(get, path = "/api/v1/customs/queue", tag = "declarations", params(ListQuery),
    responses((status = 200, description = "Declarations under control, riskiest first"), (status = 403, body = caravan_web::error::ErrorBody)))]
pub async fn queue(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(service::queue(&state, &caller, &query).await?).into_response())
}

/// A declaration with every version, assessment (channel reasons, certificate verdicts,
/// duties), and its timeline.
#[utoipa::path(get, path = "/api/v1/declarations/{reference}", tag = "declarations",
    params(("reference" = String, Path, description = "The declaration's reference (1 to 35 characters)", max_length = 35, min_length = 1), DeclarantQuery),
    responses((status = 200, description = "The declaration and its timeline"), (status = 404, body = caravan_web::error::ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    caller: Caller,
    Path(reference): Path<String>,
    ApiQuery(which): ApiQuery<DeclarantQuery>,
) -> Result<Response, ApiError> {
    let (detail, _) = load_of(&state, &caller, &reference, which.declarant).await?;
    Ok(axum::Json(detail_json(&detail)).into_response())
}

/// An officer's decision.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// `release`, `request_documents`, `inspect` or `reject` (officers); `approve` or
    /// `refuse` (agencies).
    pub decision: String,
    #[serde(default)]
    pub comment: String,
}

/// A customs officer's decision on a declaration under control, with a comment.
#[utoipa::path(post, path = "/api/v1/declarations/{reference}/decision", tag = "declarations",
    params(("reference" = String, Path, description = "The declaration's reference (1 to 35 characters)", max_length = 35, min_length = 1), DeclarantQuery),
    request_body = DecisionRequest,
    responses((status = 200, description = "The declaration after the decision"), (status = 403, body = caravan_web::error::ErrorBody),
        (status = 409, body = caravan_web::error::ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    caller: Caller,
    Path(reference): Path<String>,
    ApiQuery(which): ApiQuery<DeclarantQuery>,
    ApiJson(request): ApiJson<DecisionRequest>,
) -> Result<Response, ApiError> {
    let record = decide_on(&state, &caller, &reference, which.declarant, &request).await?;
    Ok(axum::Json(record).into_response())
}

/// An agency officer approves or refuses the agency's part.
#[utoipa::path(post, path = "/api/v1/declarations/{reference}/agency-decision", tag = "declarations",
    params(("reference" = String, Path, description = "The declaration's reference (1 to 35 characters)", max_length = 35, min_length = 1), DeclarantQuery),
    request_body = DecisionRequest,
    responses((status = 200, description = "The declaration after the decision"), (status = 403, body = caravan_web::error::ErrorBody),
        (status = 409, body = caravan_web::error::ErrorBody)))]
pub async fn agency_decide(
    State(state): State<AppState>,
    caller: Caller,
    Path(reference): Path<String>,
    ApiQuery(which): ApiQuery<DeclarantQuery>,
    ApiJson(request): ApiJson<DecisionRequest>,
) -> Result<Response, ApiError> {
    let record = agency_decide_on(&state, &caller, &reference, which.declarant, &request).await?;
    Ok(axum::Json(record).into_response())
}

/// Amends a lodged declaration: a new version, validated and assessed again.
#[utoipa::path(post, path = "/api/v1/declarations/{reference}/amend", tag = "declarations",
    params(("reference" = String, Path, description = "The declaration's reference (1 to 35 characters)", max_length = 35, min_length = 1)),
    request_body = DeclarationRequest,
    responses((status = 200, description = "The new version's assessment"), (status = 409, body = caravan_web::error::ErrorBody)))]
pub async fn amend(
    State(state): State<AppState>,
    caller: Caller,
    Path(reference): Path<String>,
    ApiJson(request): ApiJson<DeclarationRequest>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(service::amend(&state, &caller, &reference, request).await?).into_response())
}

/// A country's risk rules: the current set and every stored version.
#[utoipa::path(get, path = "/api/v1/risk-rules/{country}", tag = "declarations",
    params(("country" = String, Path, description = "ISO 3166-1 alpha-2 code of one of the six: CN, KZ, KG, TJ, TM, UZ", pattern = "^(CN|KZ|KG|TJ|TM|UZ)$")),
    responses((status = 200, description = "Current rules and versions"), (status = 403, body = caravan_web::error::ErrorBody)))]
pub async fn get_rules(
    State(state): State<AppState>,
    caller: Caller,
    Path(country): Path<String>,
) -> Result<Response, ApiError> {
    let (current, versions) = service::rules(&state, &caller, country_param(&country)?).await?;
    Ok(axum::Json(json!({ "current": *current, "versions": versions })).into_response())
}

/// Stores a new version of a country's risk rules (customs administrators of that country).
#[utoipa::path(put, path = "/api/v1/risk-rules/{country}", tag = "declarations",
    params(("country" = String, Path, description = "ISO 3166-1 alpha-2 code of one of the six: CN, KZ, KG, TJ, TM, UZ", pattern = "^(CN|KZ|KG|TJ|TM|UZ)$")),
    request_body(content = Object, description = "The risk rules document (data/customs rules format)"),
    responses((status = 200, description = "The stored version"), (status = 403, body = caravan_web::error::ErrorBody),
        (status = 422, body = caravan_web::error::ErrorBody)))]
pub async fn put_rules(
    State(state): State<AppState>,
    caller: Caller,
    Path(country): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let record = service::put_rules(&state, &caller, country_param(&country)?, &body).await?;
    Ok(axum::Json(record).into_response())
}

/// Replaces a draft's item lines from CSV (`description,hs_code,origin,preferential_origin,
/// quantity,unit,gross_mass_kg,net_mass_kg,packages,package_kind,customs_value,currency,
/// valuation_method,procedure`).
#[utoipa::path(post, path = "/api/v1/declarations/{reference}/items", tag = "declarations",
    params(("reference" = String, Path, description = "The declaration's reference (1 to 35 characters)", max_length = 35, min_length = 1)),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, description = "The draft with the new items"), (status = 422, body = caravan_web::error::ErrorBody)))]
pub async fn upload_items(
    State(state): State<AppState>,
    caller: Caller,
    Path(reference): Path<String>,
    body: String,
) -> Result<Response, ApiError> {
    Ok(axum::Json(replace_items(&state, &caller, &reference, &body).await?).into_response())
}

/// The OpenAPI paths of this module, merged into `caravan_server::openapi`.
#[derive(OpenApi)]
#[openapi(paths(
    save_draft,
    update_draft,
    lodge_new,
    lodge_draft,
    list,
    queue,
    get_one,
    decide,
    agency_decide,
    amend,
    get_rules,
    put_rules,
    upload_items
))]
pub struct ApiDoc;

/// This module's routes: its API under `/api/v1` and its pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/declarations", get(list).post(save_draft))
        .route("/api/v1/declarations/lodge", post(lodge_new))
        .route("/api/v1/declarations/{reference}", get(get_one).put(update_draft))
        .route("/api/v1/declarations/{reference}/lodge", post(lodge_draft))
        .route("/api/v1/declarations/{reference}/decision", post(decide))
        .route("/api/v1/declarations/{reference}/agency-decision", post(agency_decide))
        .route("/api/v1/declarations/{reference}/amend", post(amend))
        .route("/api/v1/declarations/{reference}/items", post(upload_items))
        .route("/api/v1/customs/queue", get(queue))
        .route("/api/v1/risk-rules/{country}", get(get_rules).put(put_rules))
        .merge(pages::routes())
}

/// The feature's link in the main menu, for those who have declarations to see: traders and
/// brokers, customs officers and administrators, border agencies.
pub fn navigation() -> Vec<caravan_web::ui::NavLink> {
    use caravan_web::i18n::Key;
    use caravan_web::ui::NavLink;
    vec![NavLink::signed_in("/declarations", Key::nav_declarations, service::can_list)]
}
