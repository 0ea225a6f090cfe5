//! The scholarship pages of applicants, nominating bodies and programme administrators (en/ru/zh),
//! plain forms that work without JavaScript. Every form calls the JSON API's handler, so the
//! rules (deadline, eligibility, authorization, validation) live once, in `scholarship.rs`;
//! an error comes back with the field it names and is shown next to that input.
//!
//! Applicant: apply to an open call, the pages `personal`, `study`, `choices`, a PDF upload per
//! required document (a multipart form, [`caravan_web::multipart`]), the summary with what is missing,
//! submit, and the result with its explanation. Nominating body: its country's applications
//! with endorse / decline and a comment. Programme administrator: create and edit a draft
//! call, publish and close it, assign reviewers, see the ranking, run and publish a placement.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Form, Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caravan_refdata::Lang;
use caravan_store::OrgKind;
use caravan_store::scholarship::{
    Application, ApplicationStatus, Call, CallProgramme, CallSpec, CallStatus, Criterion,
    Trilingual,
};
use caravan_types::CountryCode;
use maud::{Markup, html};
use serde_json::json;
use time::OffsetDateTime;

use crate::service::{
    self, can_apply, can_edit_application, can_manage_call, can_open_call, invalid,
};
use crate::{
    ApplicationView, EndorseRequest, MAX_DOCUMENT_BYTES, PlaceRequest, StatusRequest, is_pdf,
    title_in,
};
use caravan_web::AppState;
use caravan_web::auth::Caller;
use caravan_web::error::ApiError;
use caravan_web::i18n::t;
use caravan_web::multipart::{FileRule, read_form};
use caravan_web::ui::PageCaller;
use caravan_web::ui::{error_page, layout, page, ui_lang};

caravan_web::strings! { PageKey {
    apply => ["Apply", "Подать заявку", "申请"],
    manage => ["Manage", "Управление", "管理"],
    nominations => ["Applications of my country", "Заявки моей страны", "本国申请"],
    new_call => ["New call", "Новый конкурс", "新建招生"],
    open_application => ["Open", "Открыть", "打开"],
    application => ["Application", "Заявка", "申请"],
    page_personal => ["Personal details", "Личные данные", "个人信息"],
    page_study => ["Studies", "Образование", "学习经历"],
    page_choices => ["Ranked choices", "Выбор программ по приоритету", "志愿排序"],
    documents => ["Documents", "Документы", "材料"],
    full_name => ["Full name", "ФИО", "姓名"],
    email => ["E-mail", "Эл. почта", "电子邮箱"],
    date_of_birth => ["Date of birth", "Дата рождения", "出生日期"],
    level => ["Study level", "Уровень обучения", "学历层次"],
    institution => ["Current or last institution", "Текущее или последнее учебное заведение", "当前或最近就读院校"],
    degree => ["Degree", "Степень", "学位"],
    field_of_study => ["Field of study", "Специальность", "专业"],
    graduation_year => ["Year of graduation", "Год окончания", "毕业年份"],
    choice => ["Choice", "Приоритет", "志愿"],
    none_option => ["— none —", "— нет —", "— 无 —"],
    choices_hint => [
        "Rank programmes best first, without gaps; each programme once.",
        "Расположите программы по убыванию предпочтения, без пропусков; каждую программу один раз.",
        "按偏好从高到低排列项目，中间不留空；每个项目只能选一次。"
    ],
    save_continue => ["Save and continue", "Сохранить и продолжить", "保存并继续"],
    save => ["Save", "Сохранить", "保存"],
    edit => ["Edit", "Изменить", "修改"],
    filled => ["filled in", "заполнено", "已填写"],
    not_filled => ["not filled in", "не заполнено", "未填写"],
    upload => ["Upload", "Загрузить", "上传"],
    pdf_file => ["PDF file, at most 4 MiB", "Файл PDF, не более 4 МиБ", "PDF文件，不超过4 MiB"],
    uploaded => ["Uploaded", "Загружено", "已上传"],
    file_name => ["File", "Файл", "文件"],
    size_bytes => ["Size, bytes", "Размер, байт", "大小（字节）"],
    missing => ["Still missing", "Ещё не хватает", "尚缺"],
    nothing_missing => ["Nothing is missing: you can submit.", "Всё заполнено: заявку можно подать.", "材料齐全，可以提交。"],
    submit => ["Submit the application", "Подать заявку", "提交申请"],
    submit_hint => [
        "After submitting, the application can no longer change. Submit before the deadline.",
        "После подачи заявку изменить нельзя. Подайте её до окончания срока.",
        "提交后申请不可再修改。请在截止日期前提交。"
    ],
    back => ["Back to the application", "Назад к заявке", "返回申请"],
    result => ["Result", "Результат", "结果"],
    higher_choice => ["Higher choice", "Более высокий приоритет", "更高志愿"],
    full => ["Full", "Мест нет", "已满"],
    cutoff => ["Last admitted score", "Проходной балл", "最低录取分"],
    your_score => ["Your score", "Ваш балл", "您的分数"],
    yes => ["yes", "да", "是"],
    no => ["no", "нет", "否"],
    applicant => ["Applicant", "Заявитель", "申请人"],
    status => ["Status", "Статус", "状态"],
    no_applications => ["No application yet.", "Заявок пока нет.", "暂无申请。"],
    comment => ["Comment (optional)", "Комментарий (необязательно)", "意见（可选）"],
    endorse => ["Endorse", "Рекомендовать", "推荐"],
    decline => ["Decline", "Отклонить", "不予推荐"],
    call_form => ["The call", "Конкурс", "招生通知"],
    title_en => ["Title in English", "Название на английском", "英文标题"],
    title_ru => ["Title in Russian", "Название на русском", "俄文标题"],
    title_zh => ["Title in Chinese", "Название на китайском", "中文标题"],
    countries => ["Eligible countries", "Страны-участницы", "适用国家"],
    levels => ["Study levels, comma separated (e.g. master, phd)", "Уровни обучения через запятую (например, master, phd)", "学历层次，用逗号分隔（如 master, phd）"],
    application_deadline => ["Application deadline (UTC)", "Срок подачи заявок (UTC)", "申请截止时间（UTC）"],
    review_deadline => ["Review deadline (UTC)", "Срок рецензирования (UTC)", "评审截止时间（UTC）"],
    required_documents => ["Required PDF documents, comma separated (e.g. transcript, passport)", "Обязательные PDF-документы через запятую (например, transcript, passport)", "必交PDF材料，用逗号分隔（如 transcript, passport）"],
    max_choices => ["Number of choices an applicant may rank", "Сколько программ может выбрать заявитель", "申请人可填志愿数"],
    programmes => ["Programmes (leave a row empty to skip it)", "Программы (пустые строки пропускаются)", "项目（空行将被忽略）"],
    programme_name => ["Programme", "Программа", "项目"],
    university => ["University", "Университет", "大学"],
    host_country => ["Host country", "Страна вуза", "所在国"],
    seats => ["Seats", "Мест", "名额"],
    quotas => ["Country quotas, e.g. KZ=2 UZ=1 (optional; must sum to the seats)", "Квоты стран, например KZ=2 UZ=1 (необязательно; в сумме равны числу мест)", "国别配额，如 KZ=2 UZ=1（可选；总和须等于名额）"],
    criteria => ["Review criteria", "Критерии рецензирования", "评审标准"],
    criterion_key => ["Key", "Ключ", "代码"],
    criterion_name => ["Name", "Название", "名称"],
    weight => ["Weight", "Вес", "权重"],
    max_score => ["Highest score", "Высший балл", "最高分"],
    reviewers_per_application => ["Reviewers per application", "Рецензентов на заявку", "每份申请的评审人数"],
    conflict_same_country => ["Reviewers never review applicants of their own country", "Рецензент не оценивает заявителей своей страны", "评审专家不评审本国申请人"],
    disagreement_threshold => ["Disagreement threshold (standard deviations)", "Порог расхождения (в стандартных отклонениях)", "分歧阈值（标准差）"],
    create => ["Create the call", "Создать конкурс", "创建招生"],
    draft_only => ["Only a draft call can be edited.", "Изменять можно только черновик конкурса.", "只有草稿状态的招生可以修改。"],
    publish => ["Publish the call", "Опубликовать конкурс", "发布招生"],
    close => ["Close the call", "Закрыть конкурс", "关闭招生"],
    applications => ["Applications", "Заявки", "申请"],
    review_and_placement => ["Review and placement", "Рецензирование и распределение", "评审与录取"],
    assign => ["Assign reviewers", "Назначить рецензентов", "分配评审专家"],
    assigned => ["New assignments", "Новых назначений", "新分配"],
    short_of_reviewers => ["Applications still short of reviewers", "Заявок без достаточного числа рецензентов", "评审人数不足的申请"],
    ranking => ["Ranking", "Рейтинг", "排名"],
    ranking_json => ["Ranking with the method (JSON)", "Рейтинг с методикой (JSON)", "排名及方法（JSON）"],
    rank => ["Rank", "Место", "名次"],
    score => ["Score", "Балл", "分数"],
    flagged => ["Needs a third review", "Нужна третья рецензия", "需第三次评审"],
    mechanism => ["Mechanism", "Механизм", "录取机制"],
    run_placement => ["Run the placement", "Запустить распределение", "运行录取"],
    placement_runs => ["Placement runs", "Запуски распределения", "录取运行记录"],
    summary => ["Summary", "Итог", "摘要"],
    blocking_pairs => ["Blocking pairs", "Блокирующие пары", "阻塞对"],
    publish_result => ["Publish this result", "Опубликовать этот результат", "发布此结果"],
    published => ["Published", "Опубликовано", "已发布"],
} }

fn k(lang: Lang, key: PageKey) -> &'static str {
    t(lang, key)
}

const PDF_RULE: FileRule =
    FileRule { max_bytes: MAX_DOCUMENT_BYTES, type_name: "PDF", accepts: is_pdf };

/// A body limit for the upload page: one document and the form around it.
const UPLOAD_FORM_BYTES: usize = MAX_DOCUMENT_BYTES + 64 * 1024;

fn render(lang: Lang, caller: &Caller, status: StatusCode, title: &str, body: Markup) -> Response {
    page(status, layout(lang, Some(caller), title, body))
}

fn see_other(path: String) -> Response {
    Redirect::to(&path).into_response()
}

/// An id for an input named like an API field (`programmes[0].seats` → `programmes-0-seats`).
fn dom_id(field: &str) -> String {
    field.replace(['[', '.'], "-").replace(']', "")
}

fn error_for<'e>(err: Option<&'e ApiError>, field: &str) -> Option<&'e ApiError> {
    err.filter(|e| e.field.as_deref() == Some(field))
}

/// A labelled input with its error beside it (`aria-describedby` points at the error).
fn text_input(
    label: &str,
    field: &str,
    kind: &str,
    value: &str,
    err: Option<&ApiError>,
    required: bool,
) -> Markup {
    let id = dom_id(field);
    let error = error_for(err, field);
    html! {
        p {
            label for=(id) { (label) }
            input id=(id) name=(field) type=(kind) value=(value) required[required]
                aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| format!("{id}-error"))];
            (field_error(error, &id))
        }
    }
}

fn field_error(error: Option<&ApiError>, id: &str) -> Markup {
    html! { @if let Some(e) = error { span.field-error id={ (id) "-error" } { (e.message) } } }
}

/// The error at the top of a form, as an alert.
fn alert(err: Option<&ApiError>) -> Markup {
    html! { @if let Some(e) = err { p.error role="alert" { (e.message) } } }
}

type Pairs = Vec<(String, String)>;

fn form_value<'a>(pairs: &'a Pairs, name: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

// ---------------------------------------------------------------------------------------------
// The home page's links.

/// What the caller may do with `call` from the home page.
pub(super) fn call_actions(lang: Lang, caller: &Caller, call: &Call, applied: bool) -> Markup {
    html! {
        @if can_apply(caller, call) && !applied {
            form.inline method="post" action={ "/scholarships/calls/" (call.id) "/apply" } {
                input type="hidden" name="csrf_token" value=(caller.csrf_token());
                button type="submit" { (k(lang, PageKey::apply)) }
            }
        }
        @if can_manage_call(caller, call) {
            a href={ "/scholarships/calls/" (call.id) } { (k(lang, PageKey::manage)) }
        }
        @if caller.org.kind == OrgKind::NominatingBody && call.status != CallStatus::Draft {
            a href={ "/scholarships/calls/" (call.id) "/nominations" } { (k(lang, PageKey::nominations)) }
        }
    }
}

/// The link to a new call, for those who may open one.
pub(super) fn new_call_link(lang: Lang, caller: &Caller) -> Markup {
    html! { @if can_open_call(caller) { p { a href="/scholarships/calls/new" { (k(lang, PageKey::new_call)) } } } }
}

/// The link to one's application.
pub(super) fn application_link(lang: Lang, app: &Application) -> Markup {
    html! { a href={ "/scholarships/applications/" (app.id) } { (k(lang, PageKey::open_application)) } }
}

// ---------------------------------------------------------------------------------------------
// Applicant.

/// `POST /scholarships/calls/{id}/apply`: starts an application, then its first page.
async fn apply(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    let lang = ui_lang(&headers);
    match service::create_application(&state, &caller, id).await {
        Ok(view) => {
            see_other(format!("/scholarships/applications/{}/pages/personal", view.application.id))
        }
        Err(err) => error_page(lang, Some(&caller), &err),
    }
}

/// `GET /scholarships/applications/{id}`: the summary, uploads, submit and result.
async fn application_page(
    State(state): State<AppState>,
    PageCaller { caller, lang }: PageCaller,
    Path(id): Path<i64>,
) -> Response {
    summary_response(&state, &caller, lang, id, None).await
}

async fn summary_response(
    state: &AppState,
    caller: &Caller,
    lang: Lang,
    id: i64,
    error: Option<&ApiError>,
) -> Response {
    let built = async {
        let (app, call) = service::load_application(state, caller, id).await?;
        let published = service::published_result(state, call.id).await?;
        let result = caravan_scholarship::result_of(&app, &call, published.as_ref());
        let view = service::view_of(state, app, &call).await?;
        Ok::<_, ApiError>(summary_markup(lang, caller, &call, &view, &result, error))
    }
    .await;
    match built {
        Ok(body) => render(
            lang,
            caller,
            error.map_or(StatusCode::OK, |e| e.status),
            k(lang, PageKey::application),
            body,
        ),
        Err(err) => error_page(lang, Some(caller), &err),
    }
}

fn part_label(lang: Lang, part: &str) -> String {
    match part {
        "personal" => k(lang, PageKey::page_personal).to_owned(),
        "study" => k(lang, PageKey::page_study).to_owned(),
        "choices" => k(lang, PageKey::page_choices).to_owned(),
        other => match other.strip_prefix("documents.") {
            Some(kind) => format!("{}: {kind}", k(lang, PageKey::documents)),
            None => other.to_owned(),
        },
    }
}

fn programme_name(call: &Call, id: u32) -> String {
    call.spec
        .programmes
        .iter()
        .find(|p| p.id == id)
        .map_or_else(|| id.to_string(), |p| format!("{} ({})", p.name, p.university))
}

fn summary_markup(
    lang: Lang,
    caller: &Caller,
    call: &Call,
    view: &ApplicationView,
    result: &super::ResultView,
    error: Option<&ApiError>,
) -> Markup {
    let app = &view.application;
    let editable = can_edit_application(caller, app);
    let base = format!("/scholarships/applications/{}", app.id);
    let pages = [
        ("personal", PageKey::page_personal, app.body.personal.is_some()),
        ("study", PageKey::page_study, app.body.study.is_some()),
        ("choices", PageKey::page_choices, !app.body.choices.is_empty()),
    ];
    html! {
        h1 { (title_in(call, lang)) " — " (k(lang, PageKey::application)) " #" (app.id) }
        (alert(error))
        p { (k(lang, PageKey::status)) ": " strong #application-status { (app.status.as_str()) } }
        @if let Some(p) = &app.body.personal { p { (k(lang, PageKey::applicant)) ": " (p.full_name) } }
        h2 { (k(lang, PageKey::application)) }
        ul #pages {
            @for (name, key, done) in pages {
                li {
                    (k(lang, key)) ": "
                    @if done { (k(lang, PageKey::filled)) } @else { (k(lang, PageKey::not_filled)) }
                    @if editable { " " a href={ (base) "/pages/" (name) } { (k(lang, PageKey::edit)) } }
                }
            }
        }
        @if !app.body.choices.is_empty() {
            ol #choices { @for id in &app.body.choices { li { (programme_name(call, *id)) } } }
        }
        h2 { (k(lang, PageKey::documents)) }
        @if !view.documents.is_empty() {
            table #documents {
                thead { tr { th scope="col" { (k(lang, PageKey::documents)) } th scope="col" { (k(lang, PageKey::file_name)) } th scope="col" { (k(lang, PageKey::size_bytes)) } } }
                tbody { @for d in &view.documents { tr {
                    td { (d.kind) }
                    td { a href={ "/api/v1/scholarship/documents/" (d.id) } { (d.filename) } }
                    td { (d.size) }
                } } }
            }
        }
        @if editable {
            @for kind in &call.spec.required_documents {
                // The CSRF token is the form's first part: the guard reads only that far.
                form.upload method="post" action={ (base) "/documents" } enctype="multipart/form-data" {
                    input type="hidden" name="csrf_token" value=(caller.csrf_token());
                    input type="hidden" name="kind" value=(kind);
                    @let id = format!("file-{kind}");
                    @let err = error_for(error, "file");
                    label for=(id) { (kind) " — " (k(lang, PageKey::pdf_file)) }
                    input id=(id) type="file" name="file" accept="application/pdf,.pdf" required
                        aria-describedby=[err.map(|_| format!("{id}-error"))];
                    (field_error(err, &id))
                    button type="submit" { (k(lang, PageKey::upload)) " (" (kind) ")" }
                }
            }
            h2 { (k(lang, PageKey::submit)) }
            @if view.missing.is_empty() { p { (k(lang, PageKey::nothing_missing)) } }
            @else {
                p { (k(lang, PageKey::missing)) ":" }
                ul #missing { @for m in &view.missing { li { (part_label(lang, m)) } } }
            }
            p { (k(lang, PageKey::submit_hint)) }
            form method="post" action={ (base) "/submit" } {
                input type="hidden" name="csrf_token" value=(caller.csrf_token());
                button type="submit" { (k(lang, PageKey::submit)) }
            }
        } @else {
            h2 { (k(lang, PageKey::result)) }
            p.result #result { (result.explanation) }
            @if let Some(score) = result.score { p { (k(lang, PageKey::your_score)) ": " (score) } }
            @if !result.higher_choices.is_empty() {
                table #higher-choices {
                    thead { tr { th scope="col" { (k(lang, PageKey::higher_choice)) } th scope="col" { (k(lang, PageKey::full)) } th scope="col" { (k(lang, PageKey::cutoff)) } } }
                    tbody { @for c in &result.higher_choices { tr {
                        td { (c.choice_rank) ". " (c.programme) }
                        td { @if c.full { (k(lang, PageKey::yes)) } @else { (k(lang, PageKey::no)) } }
                        td { (c.cutoff_score.map_or_else(|| "—".to_owned(), |s| s.to_string())) }
                    } } }
                }
            }
        }
    }
}

/// `GET /scholarships/applications/{id}/pages/{page}`: one page of the form.
async fn page_form(
    State(state): State<AppState>,
    PageCaller { caller, lang }: PageCaller,
    Path((id, page_name)): Path<(i64, String)>,
) -> Response {
    page_form_response(&state, &caller, lang, id, &page_name, None, None).await
}

/// The values a page shows: what was sent (after an error) or what is saved.
fn saved_values(app: &Application, page_name: &str) -> Pairs {
    let value = match page_name {
        "personal" => serde_json::to_value(&app.body.personal).unwrap_or_default(),
        "study" => serde_json::to_value(&app.body.study).unwrap_or_default(),
        _ => {
            return app
                .body
                .choices
                .iter()
                .enumerate()
                .map(|(i, id)| (format!("choices[{i}]"), id.to_string()))
                .collect();
        }
    };
    match value {
        serde_json::Value::Object(map) => map
            .into_iter()
            .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
            .collect(),
        _ => Vec::new(),
    }
}

async fn page_form_response(
    state: &AppState,
    caller: &Caller,
    lang: Lang,
    id: i64,
    page_name: &str,
    sent: Option<&Pairs>,
    error: Option<&ApiError>,
) -> Response {
    let (app, call) = match service::load_editable(state, caller, id).await {
        Ok(found) => found,
        Err(err) => return error_page(lang, Some(caller), &err),
    };
    let values = sent.cloned().unwrap_or_else(|| saved_values(&app, page_name));
    let v = |name: &str| form_value(&values, name).to_owned();
    let (title, fields) = match page_name {
        "personal" => (
            k(lang, PageKey::page_personal),
            html! {
                (text_input(k(lang, PageKey::full_name), "full_name", "text", &v("full_name"), error, true))
                (text_input(k(lang, PageKey::email), "email", "email", &v("email"), error, true))
                (text_input(k(lang, PageKey::date_of_birth), "date_of_birth", "date", &v("date_of_birth"), error, true))
                p {
                    @let err = error_for(error, "level");
                    label for="level" { (k(lang, PageKey::level)) }
                    select #level name="level" required aria-describedby=[err.map(|_| "level-error")] {
                        @for level in &call.spec.levels { option value=(level) selected[v("level") == *level] { (level) } }
                    }
                    (field_error(err, "level"))
                }
            },
        ),
        "study" => (
            k(lang, PageKey::page_study),
            html! {
                (text_input(k(lang, PageKey::institution), "institution", "text", &v("institution"), error, true))
                (text_input(k(lang, PageKey::degree), "degree", "text", &v("degree"), error, true))
                (text_input(k(lang, PageKey::field_of_study), "field", "text", &v("field"), error, true))
                (text_input(k(lang, PageKey::graduation_year), "graduation_year", "number", &v("graduation_year"), error, true))
            },
        ),
        "choices" => (
            k(lang, PageKey::page_choices),
            html! {
                p #choices-hint { (k(lang, PageKey::choices_hint)) }
                @for i in 0..call.spec.max_choices as usize {
                    @let field = format!("choices[{i}]");
                    @let id = dom_id(&field);
                    @let err = error_for(error, &field).or(if i == 0 { error_for(error, "choices") } else { None });
                    p {
                        label for=(id) { (k(lang, PageKey::choice)) " " (i + 1) }
                        select id=(id) name=(field) required[i == 0] aria-describedby=[err.map(|_| format!("{id}-error"))] {
                            option value="" { (k(lang, PageKey::none_option)) }
                            @for p in &call.spec.programmes {
                                option value=(p.id) selected[v(&field) == p.id.to_string()] { (p.name) " (" (p.university) ")" }
                            }
                        }
                        (field_error(err, &id))
                    }
                }
            },
        ),
        other => {
            let err = ApiError::not_found(
                "scholarship.no_page",
                format!("no page {other:?}; the pages are personal, study, choices"),
            )
            .with_field("page");
            return error_page(lang, Some(caller), &err);
        }
    };
    let body = html! {
        h1 { (title_in(&call, lang)) " — " (title) }
        p { a href={ "/scholarships/applications/" (app.id) } { (k(lang, PageKey::back)) } }
        (alert(error))
        form method="post" action={ "/scholarships/applications/" (app.id) "/pages/" (page_name) } {
            input type="hidden" name="csrf_token" value=(caller.csrf_token());
            (fields)
            button type="submit" { (k(lang, PageKey::save_continue)) }
        }
    };
    render(lang, caller, error.map_or(StatusCode::OK, |e| e.status), title, body)
}

/// A page's form as the JSON the API takes.
fn page_value(page_name: &str, form: &Pairs) -> Result<serde_json::Value, ApiError> {
    let s = |name: &str| form_value(form, name).trim().to_owned();
    Ok(match page_name {
        "personal" => json!({
            "full_name": s("full_name"), "email": s("email"),
            "date_of_birth": s("date_of_birth"), "level": s("level"),
        }),
        "study" => {
            let year: i32 = s("graduation_year")
                .parse()
                .map_err(|_| invalid("graduation_year", "give the year as a number, e.g. 2024"))?;
            json!({
                "institution": s("institution"), "degree": s("degree"),
                "field": s("field"), "graduation_year": year,
            })
        }
        _ => {
            let mut slots: Vec<(usize, String)> = form
                .iter()
                .filter_map(|(k, v)| {
                    let idx = k.strip_prefix("choices[")?.strip_suffix(']')?.parse().ok()?;
                    Some((idx, v.trim().to_owned()))
                })
                .collect();
            slots.sort_by_key(|(idx, _)| *idx);
            let mut choices = Vec::new();
            let mut gap = None;
            for (idx, value) in slots {
                if value.is_empty() {
                    gap.get_or_insert(idx);
                    continue;
                }
                if let Some(gap) = gap {
                    return Err(invalid(
                        format!("choices[{gap}]"),
                        "fill the choices in order, without a gap",
                    ));
                }
                let id: u32 = value.parse().map_err(|_| {
                    invalid(format!("choices[{idx}]"), "choose a programme from the list")
                })?;
                choices.push(id);
            }
            json!({ "choices": choices })
        }
    })
}

/// `POST /scholarships/applications/{id}/pages/{page}`: saves the page through the API's
/// handler, then shows the next page (or this one again with the error beside its field).
async fn page_submit(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((id, page_name)): Path<(i64, String)>,
    Form(form): Form<Pairs>,
) -> Response {
    let lang = ui_lang(&headers);
    let saved = match page_value(&page_name, &form) {
        Ok(value) => {
            service::save_page(&state, &caller, id, page_name.clone(), value).await.map(|_| ())
        }
        Err(err) => Err(err),
    };
    match saved {
        Ok(()) => {
            let next = match page_name.as_str() {
                "personal" => format!("/scholarships/applications/{id}/pages/study"),
                "study" => format!("/scholarships/applications/{id}/pages/choices"),
                _ => format!("/scholarships/applications/{id}"),
            };
            see_other(next)
        }
        Err(err) => {
            page_form_response(&state, &caller, lang, id, &page_name, Some(&form), Some(&err)).await
        }
    }
}

/// `POST /scholarships/applications/{id}/documents`: a PDF from the multipart form, checked
/// as the API checks it (kind, size, `%PDF-`).
async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<i64>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let lang = ui_lang(&headers);
    let stored = async {
        let (_, call) = service::load_editable(&state, &caller, id).await?;
        let multipart = multipart.map_err(|e| {
            ApiError::bad_request("upload.malformed", e.body_text()).with_field("file")
        })?;
        let form = read_form(multipart, &PDF_RULE).await?;
        let kind = form.field("kind").unwrap_or_default().to_owned();
        service::check_document_kind(&call, &kind)?;
        let file =
            form.file("file").ok_or_else(|| invalid("file", "choose a PDF file to upload"))?;
        let filename =
            if file.filename.is_empty() { format!("{kind}.pdf") } else { file.filename.clone() };
        service::store_document(&state, &caller, id, kind, filename, file.content.clone()).await
    }
    .await;
    match stored {
        Ok(_) => see_other(format!("/scholarships/applications/{id}")),
        Err(err) => summary_response(&state, &caller, lang, id, Some(&err)).await,
    }
}

/// `POST /scholarships/applications/{id}/submit`.
async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    let lang = ui_lang(&headers);
    match service::submit(&state, &caller, id).await {
        Ok(_) => see_other(format!("/scholarships/applications/{id}")),
        Err(err) => summary_response(&state, &caller, lang, id, Some(&err)).await,
    }
}

// ---------------------------------------------------------------------------------------------
// Nominating body.

/// `GET /scholarships/calls/{id}/nominations`: the country's applications with the decision.
async fn nominations(
    State(state): State<AppState>,
    PageCaller { caller, lang }: PageCaller,
    Path(id): Path<i64>,
) -> Response {
    nominations_response(&state, &caller, lang, id, None).await
}

async fn nominations_response(
    state: &AppState,
    caller: &Caller,
    lang: Lang,
    call_id: i64,
    error: Option<&ApiError>,
) -> Response {
    let built = async {
        let call = service::load_call(state, caller, call_id).await?;
        let apps = service::call_applications(state, caller, call_id).await?;
        Ok::<_, ApiError>((call, apps))
    }
    .await;
    let (call, apps) = match built {
        Ok(found) => found,
        Err(err) => return error_page(lang, Some(caller), &err),
    };
    let body = html! {
        h1 { (title_in(&call, lang)) " — " (k(lang, PageKey::nominations)) }
        (alert(error))
        @if apps.is_empty() { p { (k(lang, PageKey::no_applications)) } }
        @else {
            table #nominations {
                thead { tr {
                    th scope="col" { "#" } th scope="col" { (k(lang, PageKey::applicant)) }
                    th scope="col" { (k(lang, PageKey::status)) } th scope="col" { (k(lang, PageKey::endorse)) }
                } }
                tbody { @for a in &apps { tr id={ "nomination-" (a.id) } {
                    td { a href={ "/scholarships/applications/" (a.id) } { (a.id) } }
                    td { (a.body.personal.as_ref().map_or("—", |p| p.full_name.as_str())) }
                    td { (a.status.as_str()) }
                    td {
                        @if a.status == ApplicationStatus::Submitted {
                            form method="post" action={ "/scholarships/applications/" (a.id) "/endorsement" } {
                                input type="hidden" name="csrf_token" value=(caller.csrf_token());
                                label for={ "comment-" (a.id) } { (k(lang, PageKey::comment)) }
                                textarea id={ "comment-" (a.id) } name="comment" rows="2" cols="40" {}
                                button type="submit" name="decision" value="endorse" { (k(lang, PageKey::endorse)) }
                                " "
                                button type="submit" name="decision" value="decline" { (k(lang, PageKey::decline)) }
                            }
                        }
                    }
                } } }
            }
        }
    };
    render(
        lang,
        caller,
        error.map_or(StatusCode::OK, |e| e.status),
        k(lang, PageKey::nominations),
        body,
    )
}

/// `POST /scholarships/applications/{id}/endorsement`: endorse or decline with a comment.
async fn endorsement(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<Pairs>,
) -> Response {
    let lang = ui_lang(&headers);
    let decided = match form_value(&form, "decision") {
        "endorse" | "decline" => {
            let req = EndorseRequest {
                endorse: form_value(&form, "decision") == "endorse",
                comment: Some(form_value(&form, "comment").to_owned()),
            };
            service::endorse(&state, &caller, id, req).await.map(|app| app.call_id)
        }
        _ => Err(invalid("decision", "choose endorse or decline")),
    };
    match decided {
        Ok(call_id) => see_other(format!("/scholarships/calls/{call_id}/nominations")),
        Err(err) => match service::endorsable_call_of(&state, &caller, id).await {
            Ok(Some(call_id)) => {
                nominations_response(&state, &caller, lang, call_id, Some(&err)).await
            }
            _ => error_page(lang, Some(&caller), &err),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Programme administrator.

fn datetime_local(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute()
    )
}

/// A `datetime-local` value (read as UTC) or RFC 3339.
fn parse_datetime(field: &str, text: &str) -> Result<OffsetDateTime, ApiError> {
    let text = text.trim();
    let minutes = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let seconds =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    time::PrimitiveDateTime::parse(text, &minutes)
        .or_else(|_| time::PrimitiveDateTime::parse(text, &seconds))
        .map(time::PrimitiveDateTime::assume_utc)
        .or_else(|_| OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339))
        .map_err(|_| invalid(field, "give a date and time, e.g. 2027-03-01T12:00 (UTC)"))
}

fn parse_number<T: std::str::FromStr>(field: &str, text: &str) -> Result<T, ApiError> {
    text.trim().parse().map_err(|_| invalid(field, "give a number"))
}

fn comma_list(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// `KZ=2 UZ=1` (spaces, commas or semicolons between).
fn parse_quotas(field: &str, text: &str) -> Result<BTreeMap<CountryCode, u32>, ApiError> {
    let mut quotas = BTreeMap::new();
    for item in text.split([' ', ',', ';']).filter(|s| !s.is_empty()) {
        let parsed = item.split_once('=').and_then(|(c, n)| {
            Some((CountryCode::parse(&c.trim().to_ascii_uppercase()).ok()?, n.trim().parse().ok()?))
        });
        let Some((country, seats)) = parsed else {
            return Err(invalid(field, format!("write quotas as KZ=2 UZ=1; {item:?} is not one")));
        };
        quotas.insert(country, seats);
    }
    Ok(quotas)
}

/// A call form as a spec, with errors naming the API's fields (row numbers as on the form);
/// also the form rows the spec's programmes came from.
fn spec_from_form(form: &Pairs) -> Result<(CallSpec, Vec<usize>), ApiError> {
    let s = |name: &str| form_value(form, name).trim().to_owned();
    let mut countries = Vec::new();
    for (_, code) in form.iter().filter(|(k, _)| k == "countries") {
        countries.push(
            CountryCode::parse(code)
                .map_err(|_| invalid("countries", format!("{code:?} is not a country code")))?,
        );
    }
    let mut programmes = Vec::new();
    let mut rows = Vec::new();
    for row in 0..rows_in(form, "programmes") {
        let f = |part: &str| s(&format!("programmes[{row}].{part}"));
        if f("name").is_empty() && f("university").is_empty() && f("seats").is_empty() {
            continue;
        }
        let host = f("host_country");
        // Ids kept from the saved call; new rows are numbered by row.
        let id = match f("id").as_str() {
            "" => u32::try_from(row + 1).unwrap_or(u32::MAX),
            id => parse_number(&format!("programmes[{row}].id"), id)?,
        };
        programmes.push(CallProgramme {
            id,
            name: f("name"),
            university: f("university"),
            host_country: CountryCode::parse(&host).map_err(|_| {
                invalid(format!("programmes[{row}].host_country"), "choose the host country")
            })?,
            seats: parse_number(&format!("programmes[{row}].seats"), &f("seats"))?,
            quotas: parse_quotas(&format!("programmes[{row}].quotas"), &f("quotas"))?,
        });
        rows.push(row);
    }
    let mut criteria = Vec::new();
    for row in 0..rows_in(form, "criteria") {
        let f = |part: &str| s(&format!("criteria[{row}].{part}"));
        if f("key").is_empty() && f("name").is_empty() {
            continue;
        }
        criteria.push(Criterion {
            key: f("key"),
            name: f("name"),
            weight: parse_number(&format!("criteria[{row}].weight"), &f("weight"))?,
            max_score: parse_number(&format!("criteria[{row}].max_score"), &f("max_score"))?,
        });
    }
    let spec = CallSpec {
        title: Trilingual { en: s("title.en"), ru: s("title.ru"), zh: s("title.zh") },
        countries,
        levels: comma_list(&s("levels")),
        application_deadline: parse_datetime("application_deadline", &s("application_deadline"))?,
        review_deadline: parse_datetime("review_deadline", &s("review_deadline"))?,
        required_documents: comma_list(&s("required_documents")),
        max_choices: parse_number("max_choices", &s("max_choices"))?,
        programmes,
        criteria,
        reviewers_per_application: parse_number(
            "reviewers_per_application",
            &s("reviewers_per_application"),
        )?,
        conflict_same_country: !s("conflict_same_country").is_empty(),
        disagreement_threshold: parse_number(
            "disagreement_threshold",
            &s("disagreement_threshold"),
        )?,
    };
    Ok((spec, rows))
}

/// How many rows of `programmes[i].…` or `criteria[i].…` the form has.
fn rows_in(form: &Pairs, list: &str) -> usize {
    form.iter()
        .filter_map(|(k, _)| {
            k.strip_prefix(list)?.strip_prefix('[')?.split_once(']')?.0.parse::<usize>().ok()
        })
        .map(|i| i + 1)
        .max()
        .unwrap_or(0)
        .min(200)
}

/// The API names `programmes[k]` by position in the spec; the form by its row.
fn field_to_row(err: ApiError, rows: &[usize]) -> ApiError {
    let Some(field) = err.field.clone() else { return err };
    let Some((idx, rest)) = field.strip_prefix("programmes[").and_then(|r| r.split_once(']'))
    else {
        return err;
    };
    match idx.parse::<usize>().ok().and_then(|i| rows.get(i)) {
        Some(row) => err.with_field(format!("programmes[{row}]{rest}")),
        None => err,
    }
}

fn spec_pairs(spec: &CallSpec) -> Pairs {
    let mut out: Pairs = vec![
        ("title.en".into(), spec.title.en.clone()),
        ("title.ru".into(), spec.title.ru.clone()),
        ("title.zh".into(), spec.title.zh.clone()),
        ("levels".into(), spec.levels.join(", ")),
        ("application_deadline".into(), datetime_local(spec.application_deadline)),
        ("review_deadline".into(), datetime_local(spec.review_deadline)),
        ("required_documents".into(), spec.required_documents.join(", ")),
        ("max_choices".into(), spec.max_choices.to_string()),
        ("reviewers_per_application".into(), spec.reviewers_per_application.to_string()),
        ("disagreement_threshold".into(), spec.disagreement_threshold.to_string()),
    ];
    if spec.conflict_same_country {
        out.push(("conflict_same_country".into(), "on".into()));
    }
    out.extend(spec.countries.iter().map(|c| ("countries".to_owned(), c.to_string())));
    for (i, p) in spec.programmes.iter().enumerate() {
        let quotas: Vec<String> = p.quotas.iter().map(|(c, n)| format!("{c}={n}")).collect();
        out.extend([
            (format!("programmes[{i}].id"), p.id.to_string()),
            (format!("programmes[{i}].name"), p.name.clone()),
            (format!("programmes[{i}].university"), p.university.clone()),
            (format!("programmes[{i}].host_country"), p.host_country.to_string()),
            (format!("programmes[{i}].seats"), p.seats.to_string()),
            (format!("programmes[{i}].quotas"), quotas.join(" ")),
        ]);
    }
    for (i, c) in spec.criteria.iter().enumerate() {
        out.extend([
            (format!("criteria[{i}].key"), c.key.clone()),
            (format!("criteria[{i}].name"), c.name.clone()),
            (format!("criteria[{i}].weight"), c.weight.to_string()),
            (format!("criteria[{i}].max_score"), c.max_score.to_string()),
        ]);
    }
    out
}

/// A new call's starting values.
fn blank_pairs() -> Pairs {
    vec![
        ("levels".into(), "master".into()),
        ("required_documents".into(), "transcript".into()),
        ("max_choices".into(), "3".into()),
        ("reviewers_per_application".into(), "2".into()),
        ("conflict_same_country".into(), "on".into()),
        ("disagreement_threshold".into(), "1.5".into()),
        ("criteria[0].key".into(), "merit".into()),
        ("criteria[0].name".into(), "Academic merit".into()),
        ("criteria[0].weight".into(), "2".into()),
        ("criteria[0].max_score".into(), "10".into()),
        ("criteria[1].key".into(), "motivation".into()),
        ("criteria[1].name".into(), "Motivation".into()),
        ("criteria[1].weight".into(), "1".into()),
        ("criteria[1].max_score".into(), "10".into()),
    ]
}

fn call_form(
    lang: Lang,
    caller: &Caller,
    action: &str,
    button: &str,
    values: &Pairs,
    error: Option<&ApiError>,
) -> Markup {
    let v = |name: &str| form_value(values, name).to_owned();
    let chosen: Vec<&str> =
        values.iter().filter(|(k, _)| k == "countries").map(|(_, v)| v.as_str()).collect();
    let n_programmes = rows_in(values, "programmes") + 2;
    let n_criteria = rows_in(values, "criteria") + 1;
    let countries_error = error_for(error, "countries");
    let cell = |label: &str, field: String, kind: &str| {
        let id = dom_id(&field);
        let err = error_for(error, &field);
        html! {
            td {
                label.visually-hidden for=(id) { (label) }
                input id=(id) name=(field) type=(kind) value=(v(&field)) step=[(kind == "number").then_some("any")]
                    aria-invalid=[err.map(|_| "true")] aria-describedby=[err.map(|_| format!("{id}-error"))];
                (field_error(err, &id))
            }
        }
    };
    html! {
        (alert(error))
        form #call-form method="post" action=(action) {
            input type="hidden" name="csrf_token" value=(caller.csrf_token());
            (text_input(k(lang, PageKey::title_en), "title.en", "text", &v("title.en"), error, true))
            (text_input(k(lang, PageKey::title_ru), "title.ru", "text", &v("title.ru"), error, true))
            (text_input(k(lang, PageKey::title_zh), "title.zh", "text", &v("title.zh"), error, true))
            fieldset aria-describedby=[countries_error.map(|_| "countries-error")] {
                legend { (k(lang, PageKey::countries)) }
                @for code in CountryCode::MECHANISM {
                    label { input type="checkbox" name="countries" value=(code) checked[chosen.contains(&code)]; " " (code) }
                    " "
                }
                (field_error(countries_error, "countries"))
            }
            (text_input(k(lang, PageKey::levels), "levels", "text", &v("levels"), error, true))
            (text_input(k(lang, PageKey::application_deadline), "application_deadline", "datetime-local", &v("application_deadline"), error, true))
            (text_input(k(lang, PageKey::review_deadline), "review_deadline", "datetime-local", &v("review_deadline"), error, true))
            (text_input(k(lang, PageKey::required_documents), "required_documents", "text", &v("required_documents"), error, false))
            (text_input(k(lang, PageKey::max_choices), "max_choices", "number", &v("max_choices"), error, true))
            h2 { (k(lang, PageKey::programmes)) }
            @if let Some(e) = error_for(error, "programmes") { p.field-error { (e.message) } }
            table #programmes {
                thead { tr {
                    th scope="col" { (k(lang, PageKey::programme_name)) } th scope="col" { (k(lang, PageKey::university)) }
                    th scope="col" { (k(lang, PageKey::host_country)) } th scope="col" { (k(lang, PageKey::seats)) }
                    th scope="col" { (k(lang, PageKey::quotas)) }
                } }
                tbody { @for i in 0..n_programmes {
                    @let host_field = format!("programmes[{i}].host_country");
                    @let host_id = dom_id(&host_field);
                    @let host_err = error_for(error, &host_field);
                    @let id_field = format!("programmes[{i}].id");
                    tr {
                        (cell(k(lang, PageKey::programme_name), format!("programmes[{i}].name"), "text"))
                        (cell(k(lang, PageKey::university), format!("programmes[{i}].university"), "text"))
                        td {
                            @if !v(&id_field).is_empty() { input type="hidden" name=(id_field) value=(v(&id_field)); }
                            label.visually-hidden for=(host_id) { (k(lang, PageKey::host_country)) }
                            select id=(host_id) name=(host_field) aria-describedby=[host_err.map(|_| format!("{host_id}-error"))] {
                                @for code in CountryCode::MECHANISM { option value=(code) selected[v(&host_field) == code] { (code) } }
                            }
                            (field_error(host_err, &host_id))
                        }
                        (cell(k(lang, PageKey::seats), format!("programmes[{i}].seats"), "number"))
                        (cell(k(lang, PageKey::quotas), format!("programmes[{i}].quotas"), "text"))
                    }
                } }
            }
            h2 { (k(lang, PageKey::criteria)) }
            @if let Some(e) = error_for(error, "criteria") { p.field-error { (e.message) } }
            table #criteria {
                thead { tr {
                    th scope="col" { (k(lang, PageKey::criterion_key)) } th scope="col" { (k(lang, PageKey::criterion_name)) }
                    th scope="col" { (k(lang, PageKey::weight)) } th scope="col" { (k(lang, PageKey::max_score)) }
                } }
                tbody { @for i in 0..n_criteria { tr {
                    (cell(k(lang, PageKey::criterion_key), format!("criteria[{i}].key"), "text"))
                    (cell(k(lang, PageKey::criterion_name), format!("criteria[{i}].name"), "text"))
                    (cell(k(lang, PageKey::weight), format!("criteria[{i}].weight"), "number"))
                    (cell(k(lang, PageKey::max_score), format!("criteria[{i}].max_score"), "number"))
                } } }
            }
            (text_input(k(lang, PageKey::reviewers_per_application), "reviewers_per_application", "number", &v("reviewers_per_application"), error, true))
            p {
                input #conflict_same_country type="checkbox" name="conflict_same_country" value="on" checked[!v("conflict_same_country").is_empty()];
                " "
                label for="conflict_same_country" { (k(lang, PageKey::conflict_same_country)) }
            }
            p {
                @let err = error_for(error, "disagreement_threshold");
                label for="disagreement_threshold" { (k(lang, PageKey::disagreement_threshold)) }
                input #disagreement_threshold name="disagreement_threshold" type="number" step="any" min="0" value=(v("disagreement_threshold"))
                    aria-describedby=[err.map(|_| "disagreement_threshold-error")];
                (field_error(err, "disagreement_threshold"))
            }
            button type="submit" { (button) }
        }
    }
}

/// `GET /scholarships/calls/new`.
async fn new_call_page(PageCaller { caller, lang }: PageCaller) -> Response {
    new_call_response(&caller, lang, &blank_pairs(), None)
}

fn new_call_response(
    caller: &Caller,
    lang: Lang,
    values: &Pairs,
    error: Option<&ApiError>,
) -> Response {
    if !can_open_call(caller) {
        let err = ApiError::forbidden(
            "only programme administrators of an education exchange center open calls",
        );
        return error_page(lang, Some(caller), &err);
    }
    let body = html! {
        h1 { (k(lang, PageKey::new_call)) }
        (call_form(lang, caller, "/scholarships/calls", k(lang, PageKey::create), values, error))
    };
    render(
        lang,
        caller,
        error.map_or(StatusCode::OK, |e| e.status),
        k(lang, PageKey::new_call),
        body,
    )
}

/// `POST /scholarships/calls`: creates the call through the API's handler.
async fn create_call(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Form(form): Form<Pairs>,
) -> Response {
    let lang = ui_lang(&headers);
    let created = match spec_from_form(&form) {
        Ok((spec, rows)) => service::create_call(&state, &caller, spec)
            .await
            .map(|call| call.id)
            .map_err(|e| field_to_row(e, &rows)),
        Err(err) => Err(err),
    };
    match created {
        Ok(id) => see_other(format!("/scholarships/calls/{id}")),
        Err(err) => new_call_response(&caller, lang, &form, Some(&err)),
    }
}

/// What the last action on the manage page did, shown above it.
enum Notice {
    None,
    Assigned { assigned: usize, short: usize },
}

/// `GET /scholarships/calls/{id}`: the administrator's page of a call.
async fn manage_page(
    State(state): State<AppState>,
    PageCaller { caller, lang }: PageCaller,
    Path(id): Path<i64>,
) -> Response {
    manage_response(&state, &caller, lang, id, None, None, Notice::None).await
}

async fn manage_response(
    state: &AppState,
    caller: &Caller,
    lang: Lang,
    id: i64,
    sent: Option<&Pairs>,
    error: Option<&ApiError>,
    notice: Notice,
) -> Response {
    let built = service::managed_call(state, caller, id).await;
    let (call, apps, ranking, runs) = match built {
        Ok(found) => found,
        Err(err) => return error_page(lang, Some(caller), &err),
    };
    let values = sent.cloned().unwrap_or_else(|| spec_pairs(&call.spec));
    let base = format!("/scholarships/calls/{id}");
    let any_published = runs.iter().any(|r| r.published);
    let body = html! {
        h1 { (title_in(&call, lang)) }
        p { (k(lang, PageKey::status)) ": " strong #call-status { (call.status.as_str()) } }
        @if let Notice::Assigned { assigned, short } = notice {
            p.notice role="status" { (k(lang, PageKey::assigned)) ": " (assigned) "; " (k(lang, PageKey::short_of_reviewers)) ": " (short) }
        }
        @match call.status {
            CallStatus::Draft => {
                form method="post" action={ (base) "/status" } {
                    input type="hidden" name="csrf_token" value=(caller.csrf_token());
                    button type="submit" name="status" value="published" { (k(lang, PageKey::publish)) }
                }
            }
            CallStatus::Published => {
                form method="post" action={ (base) "/status" } {
                    input type="hidden" name="csrf_token" value=(caller.csrf_token());
                    button type="submit" name="status" value="closed" { (k(lang, PageKey::close)) }
                }
            }
            CallStatus::Closed => {}
        }
        h2 { (k(lang, PageKey::call_form)) }
        @if call.status == CallStatus::Draft {
            (call_form(lang, caller, &format!("{base}/edit"), k(lang, PageKey::save), &values, error))
        } @else {
            (alert(error))
            p { (k(lang, PageKey::draft_only)) }
            ul { @for p in &call.spec.programmes { li { (p.name) " (" (p.university) ", " (p.host_country) "): " (p.seats) } } }
        }
        h2 { (k(lang, PageKey::applications)) }
        @if apps.is_empty() { p { (k(lang, PageKey::no_applications)) } }
        @else {
            table #applications {
                thead { tr { th scope="col" { "#" } th scope="col" { (k(lang, PageKey::applicant)) } th scope="col" { (k(lang, PageKey::status)) } } }
                tbody { @for a in &apps { tr {
                    td { a href={ "/scholarships/applications/" (a.id) } { (a.id) } }
                    td { (a.body.personal.as_ref().map_or("—", |p| p.full_name.as_str())) " (" (a.country) ")" }
                    td { (a.status.as_str()) }
                } } }
            }
        }
        @if call.status != CallStatus::Draft {
            h2 { (k(lang, PageKey::review_and_placement)) }
            form method="post" action={ (base) "/assign" } {
                input type="hidden" name="csrf_token" value=(caller.csrf_token());
                button type="submit" { (k(lang, PageKey::assign)) }
            }
            h3 { (k(lang, PageKey::ranking)) }
            p { a href={ "/api/v1/scholarship/calls/" (id) "/ranking" } { (k(lang, PageKey::ranking_json)) } }
            table #ranking {
                thead { tr { th scope="col" { (k(lang, PageKey::rank)) } th scope="col" { "#" } th scope="col" { (k(lang, PageKey::score)) } th scope="col" { (k(lang, PageKey::flagged)) } } }
                tbody { @for r in &ranking.rows { tr {
                    td { (r.rank.map_or_else(|| "—".to_owned(), |n| n.to_string())) }
                    td { (r.application_id) }
                    td { (r.score.map_or_else(|| "—".to_owned(), |s| format!("{s:.3}"))) }
                    td { @if r.flagged { (k(lang, PageKey::yes)) } @else { (k(lang, PageKey::no)) } }
                } } }
            }
            @if !any_published {
                form method="post" action={ (base) "/place" } {
                    input type="hidden" name="csrf_token" value=(caller.csrf_token());
                    label for="mechanism" { (k(lang, PageKey::mechanism)) }
                    select #mechanism name="mechanism" {
                        @for m in ["da", "da-programme", "ia", "parallel", "ttc", "serial"] { option value=(m) { (m) } }
                    }
                    " "
                    button type="submit" { (k(lang, PageKey::run_placement)) }
                }
            }
            h3 { (k(lang, PageKey::placement_runs)) }
            ul #placements { @for r in &runs {
                li {
                    "#" (r.id) " — " (k(lang, PageKey::summary)) ": " (r.result.summary) "; "
                    (k(lang, PageKey::blocking_pairs)) ": " (r.result.blocking_pairs.len())
                    @if r.published { " — " strong { (k(lang, PageKey::published)) } }
                    @else if !any_published {
                        form.inline method="post" action={ (base) "/placements/" (r.id) "/publish" } {
                            input type="hidden" name="csrf_token" value=(caller.csrf_token());
                            button type="submit" { (k(lang, PageKey::publish_result)) }
                        }
                    }
                }
            } }
        }
    };
    render(lang, caller, error.map_or(StatusCode::OK, |e| e.status), title_in(&call, lang), body)
}

/// `POST /scholarships/calls/{id}/edit`: replaces a draft call's spec (`PUT` of the API).
async fn edit_call(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<Pairs>,
) -> Response {
    let lang = ui_lang(&headers);
    let updated = match spec_from_form(&form) {
        Ok((spec, rows)) => service::update_call(&state, &caller, id, spec)
            .await
            .map(|_| ())
            .map_err(|e| field_to_row(e, &rows)),
        Err(err) => Err(err),
    };
    match updated {
        Ok(()) => see_other(format!("/scholarships/calls/{id}")),
        Err(err) => {
            manage_response(&state, &caller, lang, id, Some(&form), Some(&err), Notice::None).await
        }
    }
}

/// Runs one of the API's handlers for a button of the manage page, then shows the page again.
async fn after_action(
    state: &AppState,
    caller: &Caller,
    lang: Lang,
    id: i64,
    done: Result<Notice, ApiError>,
) -> Response {
    match done {
        Ok(Notice::None) => see_other(format!("/scholarships/calls/{id}")),
        Ok(notice) => manage_response(state, caller, lang, id, None, None, notice).await,
        Err(err) => manage_response(state, caller, lang, id, None, Some(&err), Notice::None).await,
    }
}

/// `POST /scholarships/calls/{id}/status`: publish or close.
async fn call_status(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<Pairs>,
) -> Response {
    let lang = ui_lang(&headers);
    let done = match CallStatus::parse(form_value(&form, "status")) {
        Some(status) => service::set_call_status(&state, &caller, id, StatusRequest { status })
            .await
            .map(|_| Notice::None),
        None => Err(invalid("status", "choose published or closed")),
    };
    after_action(&state, &caller, lang, id, done).await
}

/// `POST /scholarships/calls/{id}/assign`.
async fn assign(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    let lang = ui_lang(&headers);
    let done = service::assign(&state, &caller, id).await.map(|report| Notice::Assigned {
        assigned: report.assigned.len(),
        short: report.short.len(),
    });
    after_action(&state, &caller, lang, id, done).await
}

/// `POST /scholarships/calls/{id}/place`.
async fn place(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<Pairs>,
) -> Response {
    let lang = ui_lang(&headers);
    let req = PlaceRequest {
        mechanism: Some(form_value(&form, "mechanism").to_owned()).filter(|m| !m.is_empty()),
        band: None,
        score_band: None,
        tie_break: None,
        seed: None,
    };
    let done = service::place(&state, &caller, id, req).await.map(|_| Notice::None);
    after_action(&state, &caller, lang, id, done).await
}

/// `POST /scholarships/calls/{id}/placements/{run}/publish`.
async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((id, run)): Path<(i64, i64)>,
) -> Response {
    let lang = ui_lang(&headers);
    let done = service::publish(&state, &caller, id, run).await.map(|_| Notice::None);
    after_action(&state, &caller, lang, id, done).await
}

/// The pages' routes, merged into [`super::routes`].
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/scholarships/calls", post(create_call))
        .route("/scholarships/calls/new", get(new_call_page))
        .route("/scholarships/calls/{id}", get(manage_page))
        .route("/scholarships/calls/{id}/edit", post(edit_call))
        .route("/scholarships/calls/{id}/status", post(call_status))
        .route("/scholarships/calls/{id}/assign", post(assign))
        .route("/scholarships/calls/{id}/place", post(place))
        .route("/scholarships/calls/{id}/placements/{run}/publish", post(publish))
        .route("/scholarships/calls/{id}/apply", post(apply))
        .route("/scholarships/calls/{id}/nominations", get(nominations))
        .route("/scholarships/applications/{id}", get(application_page))
        .route("/scholarships/applications/{id}/pages/{page}", get(page_form).post(page_submit))
        .route(
            "/scholarships/applications/{id}/documents",
            post(upload).layer(DefaultBodyLimit::max(UPLOAD_FORM_BYTES)),
        )
        .route("/scholarships/applications/{id}/submit", post(submit))
        .route("/scholarships/applications/{id}/endorsement", post(endorsement))
}

#[cfg(test)]
mod tests;
