//! The duty calculator (`/tariff`), the line browser (`/tariff/lines`) and the origin
//! self-assessment wizard (`/origin`, three steps and a printable explanation), in en/ru/zh.
//! Plain forms, no JavaScript needed; every answer comes from the same validation and engines
//! as the API.

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use caravan_refdata::Lang;
use caravan_tariff::{Calculation, MeasureKind};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::{
    AssessRequest, BomLineInput, CalculateRequest, DecimalInput, LinesAnswer, QuantityInput,
};
use crate::TariffState;
use crate::service;
use caravan_web::AppState;
use caravan_web::auth::{Caller, MaybeCaller};
use caravan_web::error::ApiError;
use caravan_web::i18n::t;
use caravan_web::ui::{dotted, layout, page, ui_lang};

caravan_web::strings! { TariffKey {
    rates => ["Official exchange rates (CSV)", "Официальные курсы валют (CSV)", "官方汇率(CSV)"],
    rates_help => [
        "Needed when a rate is in EUR or USD and the value or the rate is in another currency: one line per rate, date,from,to,rate,source — e.g. 2026-03-01,EUR,KZT,545.12,National Bank of Kazakhstan. Left empty, the official rates entered on this server are used (KZ, KG).",
        "Нужны, когда ставка в евро или долларах, а стоимость или ставка в другой валюте: по строке на курс, date,from,to,rate,source — например 2026-03-01,EUR,KZT,545.12,National Bank of Kazakhstan. Если поле пусто, применяются официальные курсы, введённые на этом сервере (KZ, KG).",
        "当税率以欧元或美元计而完税价格或税率为其他货币时需要:每个汇率一行,date,from,to,rate,source——例如 2026-03-01,EUR,KZT,545.12,National Bank of Kazakhstan。留空时使用本服务器录入的官方汇率（KZ、KG）。"
    ],
    rates_title => ["Official exchange rates", "Официальные курсы валют", "官方汇率"],
    rates_intro => [
        "The official rates the calculator uses for Kazakhstan (KZT) and Kyrgyzstan (KGS) when a calculation gives none of its own: one rate a day and currency pair, never another day's. Entered by administrators; every entry is in the audit log.",
        "Официальные курсы, которые калькулятор применяет для Казахстана (KZT) и Кыргызстана (KGS), если в расчёте не указаны свои: один курс на день и пару валют, курс другого дня не подставляется. Вводят администраторы; каждый ввод записан в журнал аудита.",
        "计算器在计算未提供汇率时为哈萨克斯坦（KZT）和吉尔吉斯斯坦（KGS）使用的官方汇率：每天每个货币对一个汇率，绝不借用其他日期的汇率。由管理员录入；每次录入都记入审计日志。"
    ],
    rates_format => [
        "One line per rate: date,from,to,rate,source — e.g. 2026-03-01,EUR,KZT,545.12,National Bank of Kazakhstan. The header line is optional. A rate for a day and pair already entered replaces it.",
        "По строке на курс: date,from,to,rate,source — например 2026-03-01,EUR,KZT,545.12,National Bank of Kazakhstan. Строка заголовка необязательна. Курс на уже введённые день и пару заменяет прежний.",
        "每行一个汇率：date,from,to,rate,source——例如 2026-03-01,EUR,KZT,545.12,National Bank of Kazakhstan。标题行可省略。已录入日期和货币对的汇率将被替换。"
    ],
    rates_file => ["Or choose a CSV file", "Или выберите файл CSV", "或选择 CSV 文件"],
    rates_enter => ["Enter the rates", "Ввести курсы", "录入汇率"],
    rates_saved => ["Saved. Added / replaced / unchanged:", "Сохранено. Добавлено / заменено / без изменений:", "已保存。新增 / 替换 / 未变："],
    rates_you_may => ["You may enter rates into:", "Вы можете вводить курсы к:", "您可录入以下货币的汇率："],
    rates_who => [
        "Rates are entered by platform administrators and by the administrators of a country's customs administration, for their country's currency.",
        "Курсы вводят администраторы платформы и администраторы таможенной службы страны — для валюты своей страны.",
        "汇率由平台管理员以及各国海关管理员（针对本国货币）录入。"
    ],
    rates_login => ["Log in", "Войти", "登录"],
    rates_stored => ["Rates entered", "Введённые курсы", "已录入的汇率"],
    rates_into => ["Into currency", "К валюте", "目标货币"],
    rates_all => ["(all)", "(все)", "（全部）"],
    rates_none => ["No rates entered yet.", "Курсы ещё не введены.", "尚未录入汇率。"],
    rates_day => ["Day", "День", "日期"],
    rates_pair => ["Pair", "Пара", "货币对"],
    rates_source => ["Published by", "Опубликовал", "发布机构"],
    rates_entered => ["Entered by", "Ввёл", "录入人"],
    no_tnved_name => [
        "HS 2022 subheading; this line has no name of its own in the shipped TN VED list",
        "субпозиция ГС 2022; собственного наименования этой позиции в перечне ТН ВЭД нет",
        "HS 2022 子目；所附商品目录中此税号无单独名称"
    ],
    rate_stored => ["official rate entered on this server", "официальный курс, введённый на этом сервере", "本服务器录入的官方汇率"],
    calculator_title => ["Duty calculator", "Калькулятор пошлин", "关税计算器"],
    calculator_intro => [
        "Enter the goods and the import; the result lists every duty and tax with its legal basis, and every measure that did not apply with the reason.",
        "Укажите товар и условия ввоза; в результате — каждая пошлина и налог с правовым основанием и каждая неприменённая мера с причиной.",
        "输入货物和进口信息；结果列出每项关税和税费及其法律依据，以及未适用的每项措施及原因。"
    ],
    illustrative => [
        "Illustrative: sample rates for demonstration, not the law in force. Check the official tariff before you declare.",
        "Иллюстративно: примерные ставки для демонстрации, а не действующее право. Перед декларированием сверьтесь с официальным тарифом.",
        "示例性质：演示用的样例税率，并非现行法律。申报前请核对官方税则。"
    ],
    provenance_intro => [
        "Kazakhstan (KZ) and Kyrgyzstan (KG): the real EAEU Common Customs Tariff (revision ett:2026-06-18) with national VAT; every other schedule, the EAEU sample included, is illustrative. Each amount says which.",
        "Казахстан (KZ) и Кыргызстан (KG): действующий Единый таможенный тариф ЕАЭС (редакция ett:2026-06-18) и национальный НДС; все остальные тарифы, включая образец ЕАЭС, иллюстративны. У каждой суммы указано, какая она.",
        "哈萨克斯坦（KZ）和吉尔吉斯斯坦（KG）：现行欧亚经济联盟统一关税税则（版本 ett:2026-06-18）及本国增值税；其他税则（包括欧亚经济联盟样例）均为示例。每个金额都注明其性质。"
    ],
    provenance => ["Source", "Источник", "来源"],
    provenance_real => ["real", "действующее право", "现行法律"],
    provenance_illustrative => ["illustrative", "иллюстративно", "示例"],
    provenance_mixed => [
        "Mixed: some amounts come from real, cited law and some from illustrative samples; the Source column says which.",
        "Смешанный расчёт: часть сумм — из действующего права (с основанием), часть — иллюстративные; см. столбец «Источник».",
        "混合结果：部分金额来自现行法律（附依据），部分为示例；请看“来源”一栏。"
    ],
    sample => ["illustrative sample", "иллюстративный образец", "示例样本"],
    jurisdiction => ["Importing country or union", "Страна или союз ввоза", "进口国家或联盟"],
    date => ["Date of the declaration", "Дата декларации", "申报日期"],
    code => ["National tariff line", "Код товарной позиции", "税则号列"],
    find_code => ["Not sure of the code? Find it in HS search", "Не знаете код? Найдите его в поиске ТН ВЭД / ГС", "不确定编码？在 HS 搜索中查找"],
    origin => ["Country of origin (ISO code, e.g. CN)", "Страна происхождения (код ISO, напр. CN)", "原产国（ISO 代码，如 CN）"],
    value => ["Customs value", "Таможенная стоимость", "完税价格"],
    currency => ["Currency (ISO code, e.g. USD)", "Валюта (код ISO, напр. USD)", "币种（ISO 代码，如 USD）"],
    quantity => ["Quantity (for specific duties)", "Количество (для специфических пошлин)", "数量（用于从量税）"],
    unit => ["Unit of the quantity", "Единица количества", "数量单位"],
    no_unit => ["(no quantity)", "(без количества)", "（无数量）"],
    documents => ["Documents you present", "Предъявляемые документы", "您提交的单证"],
    calculate => ["Calculate", "Рассчитать", "计算"],
    fix_field => ["Please correct this field:", "Исправьте это поле:", "请更正此字段："],
    result => ["Result", "Результат", "结果"],
    schedule => ["Schedule", "Тариф", "税则"],
    line => ["Tariff line", "Товарная позиция", "税号"],
    customs_value => ["Customs value", "Таможенная стоимость", "完税价格"],
    exchange_rate => ["Exchange rate used", "Применённый курс", "所用汇率"],
    applied => ["Duties and taxes due", "Подлежащие уплате пошлины и налоги", "应缴关税和税费"],
    measure => ["Measure", "Мера", "措施"],
    kind => ["Kind", "Вид", "类别"],
    rate => ["Rate", "Ставка", "税率"],
    base => ["Base", "База", "计税基础"],
    amount => ["Amount", "Сумма", "金额"],
    legal_basis => ["Legal basis", "Правовое основание", "法律依据"],
    total => ["Total", "Итого", "合计"],
    vat_base => ["VAT base (customs value + duties + excise)", "База НДС (стоимость + пошлины + акциз)", "增值税计税基础（完税价格 + 关税 + 消费税）"],
    not_applied => ["Considered and not applied", "Рассмотрены и не применены", "已考虑但未适用"],
    reason => ["Reason", "Причина", "原因"],
    requirements => ["Documents required", "Требуемые документы", "所需单证"],
    presented => ["presented", "предъявлен", "已提交"],
    missing => ["missing: present it at clearance", "отсутствует: предъявите при оформлении", "缺少：请在通关时提交"],
    prohibited => ["Import of these goods is prohibited:", "Ввоз этих товаров запрещён:", "禁止进口此类货物："],
    see_line => ["See this line and all its measures", "Открыть позицию и все её меры", "查看此税号及其全部措施"],
    kind_mfn => ["Third-country duty", "Ставка для третьих стран", "最惠国税率"],
    kind_preferential => ["Preferential duty", "Преференциальная пошлина", "优惠税率"],
    kind_additional => ["Additional duty", "Дополнительная пошлина", "附加关税"],
    kind_excise => ["Excise", "Акциз", "消费税"],
    kind_vat => ["VAT", "НДС", "增值税"],
    kind_prohibition => ["Prohibition", "Запрет", "禁令"],
    kind_document => ["Document required", "Требуется документ", "所需单证"],
    lines_title => ["Tariff lines", "Товарные позиции тарифа", "税则税号"],
    lines_intro => [
        "Give a jurisdiction and a line or heading (e.g. 7403) to see the national lines and the measures in force on a date.",
        "Укажите юрисдикцию и код позиции или товарной позиции (напр. 7403), чтобы увидеть национальные подсубпозиции и действующие на дату меры.",
        "输入法域和税号或品目（如 7403），查看某日期的国家税号及有效措施。"
    ],
    show => ["Show", "Показать", "显示"],
    valid => ["Valid", "Действует", "有效期"],
    from => ["from", "с", "自"],
    to => ["to", "по", "至"],
    origin_area => ["Origin", "Происхождение", "原产地"],
    duty => ["Duty or document", "Ставка или документ", "税率或单证"],
    calculate_line => ["Calculate the duty on this line", "Рассчитать пошлину по этой позиции", "计算此税号的关税"],
    origin_title => ["Origin self-assessment", "Самооценка происхождения", "原产地自我评估"],
    origin_intro => [
        "Three steps: the product and agreement, its materials, then the verdict with every step explained. Nothing is stored.",
        "Три шага: товар и соглашение, его материалы, затем вывод с объяснением каждого шага. Ничего не сохраняется.",
        "三步：产品与协定、所用材料、然后是逐步说明的结论。不保存任何数据。"
    ],
    step1 => ["Step 1 of 3: product and agreement", "Шаг 1 из 3: товар и соглашение", "第 1 步（共 3 步）：产品与协定"],
    step2 => ["Step 2 of 3: bill of materials", "Шаг 2 из 3: спецификация материалов", "第 2 步（共 3 步）：物料清单"],
    step3 => ["Step 3 of 3: verdict", "Шаг 3 из 3: вывод", "第 3 步（共 3 步）：结论"],
    agreement => ["Agreement or scheme", "Соглашение или режим", "协定或安排"],
    product => ["HS code of the product", "Код ГС товара", "产品 HS 编码"],
    exporter => ["Exporting country (ISO code)", "Страна экспорта (код ISO)", "出口国（ISO 代码）"],
    price => ["Ex-works price", "Цена франко-завод", "出厂价"],
    processes => ["Specific processes carried out (one per line, in the rule's words; optional)", "Выполненные специфические операции (по одной в строке, словами правила; необязательно)", "已完成的特定工序（每行一项，按规则措辞；可选）"],
    next => ["Next: the materials", "Далее: материалы", "下一步：材料"],
    bom_intro => [
        "List every material used: its HS code, country of origin and value (in the price's currency). Fill the rows, or paste CSV lines hs_code,origin,value[,description], or both.",
        "Перечислите все использованные материалы: код ГС, страну происхождения и стоимость (в валюте цены). Заполните строки, вставьте строки CSV hs_code,origin,value[,description] или и то, и другое.",
        "列出使用的每种材料：HS 编码、原产国和价值（与价格同币种）。填写各行，或粘贴 CSV 行 hs_code,origin,value[,description]，或两者兼用。"
    ],
    material => ["Material", "Материал", "材料"],
    hs_code => ["HS code", "Код ГС", "HS 编码"],
    material_origin => ["Origin", "Происхождение", "原产地"],
    material_value => ["Value", "Стоимость", "价值"],
    description => ["Description (optional)", "Описание (необязательно)", "描述（可选）"],
    csv => ["Or paste CSV (hs_code,origin,value[,description])", "Или вставьте CSV (hs_code,origin,value[,description])", "或粘贴 CSV（hs_code,origin,value[,description]）"],
    csv_file => ["Or choose a CSV file to fill the box above", "Или выберите файл CSV, чтобы заполнить поле выше", "或选择 CSV 文件以填入上面的文本框"],
    more_rows => ["Add 5 more rows", "Добавить ещё 5 строк", "再添加 5 行"],
    assess => ["Assess origin", "Оценить происхождение", "评估原产地"],
    back => ["Back: change the product", "Назад: изменить товар", "返回：修改产品"],
    edit_bom => ["Change the materials", "Изменить материалы", "修改材料"],
    qualifies => ["The product qualifies as originating.", "Товар считается происходящим.", "该产品符合原产资格。"],
    not_qualifies => ["The product does not qualify as originating.", "Товар не считается происходящим.", "该产品不符合原产资格。"],
    rule_applied => ["Rule applied", "Применённое правило", "适用的规则"],
    none => ["none met", "ни одно не выполнено", "均未满足"],
    explanation => ["Step-by-step explanation", "Пошаговое объяснение", "逐步说明"],
    unclassified => ["Rule texts the engine could not classify: assess these by hand", "Тексты правил, которые система не смогла классифицировать: оцените их вручную", "系统无法分类的规则文本：请人工评估"],
    originating_value => ["Originating materials", "Происходящие материалы", "原产材料"],
    non_originating_value => ["Non-originating materials", "Непроисходящие материалы", "非原产材料"],
    print => ["Printable explanation to keep", "Версия для печати и хранения", "可打印的说明（供存档）"],
    print_now => ["Print", "Печать", "打印"],
    bom_error => ["Please correct the materials:", "Исправьте материалы:", "请更正材料："],
    assessed_on => ["Assessed by Caravan on", "Оценено в Caravan", "Caravan 评估日期"],
    self_assessment_note => [
        "A self-assessment on the trader's declared materials; it is not a certificate of origin.",
        "Самооценка по заявленным трейдером материалам; это не сертификат происхождения.",
        "基于贸易商申报材料的自我评估；不是原产地证书。"
    ],
} }

fn kind_label(lang: Lang, kind: MeasureKind) -> &'static str {
    t(
        lang,
        match kind {
            MeasureKind::Mfn => TariffKey::kind_mfn,
            MeasureKind::Preferential => TariffKey::kind_preferential,
            MeasureKind::Additional => TariffKey::kind_additional,
            MeasureKind::Excise => TariffKey::kind_excise,
            MeasureKind::Vat => TariffKey::kind_vat,
            MeasureKind::Prohibition => TariffKey::kind_prohibition,
            MeasureKind::Document => TariffKey::kind_document,
        },
    )
}

fn kind_label_str(lang: Lang, kind: &str) -> &'static str {
    let kind = match kind {
        "mfn" => MeasureKind::Mfn,
        "preferential" => MeasureKind::Preferential,
        "additional" => MeasureKind::Additional,
        "excise" => MeasureKind::Excise,
        "vat" => MeasureKind::Vat,
        "prohibition" => MeasureKind::Prohibition,
        _ => MeasureKind::Document,
    };
    kind_label(lang, kind)
}

/// The value of the first pair named `name`, or "".
/// The rates the page's text area holds, as the CLI's `--rates` file: with or without its
/// header line, at most [`super::MAX_RATES`] rows.
fn page_rates(text: &str) -> Result<Vec<caravan_tariff::RateRow>, ApiError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let header = caravan_tariff::RATES_HEADER.join(",");
    let csv = if text.starts_with(&header) { text.to_owned() } else { format!("{header}\n{text}") };
    let rows = caravan_tariff::parse_rates_csv(&csv).map_err(|err| {
        ApiError::unprocessable("request.invalid_field", format!("rates: {err}"))
            .with_field("rates")
    })?;
    if rows.len() > super::MAX_RATES {
        let message = format!("rates: at most {} rates, got {}", super::MAX_RATES, rows.len());
        return Err(ApiError::unprocessable("request.invalid_field", message).with_field("rates"));
    }
    Ok(rows)
}

/// The value of the query or form field `name`, or "" when it is absent.
pub(super) fn field<'p>(pairs: &'p [(String, String)], name: &str) -> &'p str {
    pairs.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

fn error_box(lang: Lang, err: &ApiError) -> Markup {
    html! {
        div.error role="alert" #form-error {
            p {
                @if let Some(field) = &err.field { (t(lang, TariffKey::fix_field)) " " strong.field { (field) } }
            }
            p { (err.message) }
        }
    }
}

fn provenance_label(lang: Lang, provenance: caravan_tariff::Provenance) -> &'static str {
    match provenance {
        caravan_tariff::Provenance::Real => t(lang, TariffKey::provenance_real),
        _ => t(lang, TariffKey::provenance_illustrative),
    }
}

fn notice(lang: Lang) -> Markup {
    html! { p.notice.illustrative role="note" { strong { (t(lang, TariffKey::illustrative)) } } }
}

/// A hidden CSRF field for a signed-in caller (anonymous forms carry no ambient credential).
fn csrf(caller: Option<&Caller>) -> Markup {
    html! {
        @if let Some(caller) = caller {
            input type="hidden" name="csrf_token" value=(caller.csrf_token());
        }
    }
}

const EXTRA_CSS: &str = "\
.notice.illustrative { border-left: 4px solid #b7791f; background: #fffbeb; padding: .4rem .75rem; }\n\
.verdict-yes { border-left: 4px solid #2f855a; background: #f0fff4; padding: .4rem .75rem; }\n\
.verdict-no { border-left: 4px solid #c53030; background: #fff5f5; padding: .4rem .75rem; }\n\
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap: .25rem 1rem; max-width: 60rem; }\n\
.grid label { display: block; margin-top: .5rem; }\n\
td.num, th.num { text-align: right; white-space: nowrap; }\n\
ol.steps li { margin: .2rem 0; white-space: pre-wrap; }\n\
@media print { header.top, nav, form, .no-print, a.skip { display: none !important; } body { font-size: 11pt; } a { color: inherit; text-decoration: none; } }\n";

fn with_css(body: Markup) -> Markup {
    html! { style { (PreEscaped(EXTRA_CSS)) } (body) }
}

// ---------------------------------------------------------------------------------------------
// Duty calculator.

fn calculator_form(
    state: &AppState,
    lang: Lang,
    pairs: &[(String, String)],
    today: &str,
) -> Markup {
    let get = |name: &str| field(pairs, name);
    let jurisdiction = super::normalise_jurisdiction(&state.tariff().tariff, get("jurisdiction"));
    let date = if get("date").is_empty() { today } else { get("date") };
    let currency = if get("currency").is_empty() { "USD" } else { get("currency") };
    let chosen: Vec<&str> =
        pairs.iter().filter(|(k, _)| k == "document").map(|(_, v)| v.as_str()).collect();
    let mut documents = vec!["origin-cert".to_owned()];
    documents.extend(state.tariff().documents.iter().filter(|d| *d != "origin-cert").cloned());
    html! {
        form.grid method="get" action="/tariff" #calculator {
            div {
                label for="jurisdiction" { (t(lang, TariffKey::jurisdiction)) }
                select #jurisdiction name="jurisdiction" {
                    @for j in state.tariff().tariff.jurisdictions() {
                        option value=(j) selected[j == jurisdiction] { (j) @if j == "EAEU" { " (" (t(lang, TariffKey::sample)) ")" } }
                    }
                }
            }
            div {
                label for="date" { (t(lang, TariffKey::date)) }
                input #date name="date" type="date" value=(date) required;
            }
            div {
                label for="code" { (t(lang, TariffKey::code)) }
                input #code name="code" type="text" inputmode="numeric" value=(get("code")) required placeholder="7403110000" aria-describedby="code-help";
                small #code-help { a href={ "/hs?q=" (get("code")) } { (t(lang, TariffKey::find_code)) } }
            }
            div {
                label for="origin" { (t(lang, TariffKey::origin)) }
                input #origin name="origin" type="text" maxlength="2" value=(get("origin")) required placeholder="CN";
            }
            div {
                label for="value" { (t(lang, TariffKey::value)) }
                input #value name="value" type="text" inputmode="decimal" value=(get("value")) required placeholder="10000.00";
            }
            div {
                label for="currency" { (t(lang, TariffKey::currency)) }
                input #currency name="currency" type="text" maxlength="3" value=(currency) required;
            }
            div {
                label for="quantity" { (t(lang, TariffKey::quantity)) }
                input #quantity name="quantity" type="text" inputmode="decimal" value=(get("quantity"));
            }
            div {
                label for="unit" { (t(lang, TariffKey::unit)) }
                select #unit name="unit" {
                    option value="" { (t(lang, TariffKey::no_unit)) }
                    @for unit in caravan_tariff::Unit::all() {
                        option value=(unit.code()) selected[unit.code() == get("unit")] { (unit.code()) " — " (unit.name()) }
                    }
                }
            }
            div {
                label for="rates" { (t(lang, TariffKey::rates)) }
                textarea #rates name="rates" rows="3" cols="60" aria-describedby="rates-help" placeholder="date,from,to,rate,source" { (get("rates")) }
                small #rates-help { (t(lang, TariffKey::rates_help)) }
            }
            fieldset {
                legend { (t(lang, TariffKey::documents)) }
                @for (idx, doc) in documents.iter().enumerate() {
                    div {
                        input type="checkbox" id={ "doc-" (idx) } name="document" value=(doc) checked[chosen.contains(&doc.as_str())];
                        " "
                        label for={ "doc-" (idx) } { (doc) }
                    }
                }
            }
            div { button type="submit" { (t(lang, TariffKey::calculate)) } }
        }
    }
}

fn request_from_pairs(pairs: &[(String, String)]) -> CalculateRequest {
    let get = |name: &str| field(pairs, name).to_owned();
    let quantity = (!get("quantity").trim().is_empty() || !get("unit").is_empty())
        .then(|| QuantityInput { amount: DecimalInput::Text(get("quantity")), unit: get("unit") });
    CalculateRequest {
        jurisdiction: get("jurisdiction"),
        date: Some(get("date")),
        code: get("code"),
        origin: get("origin"),
        value: DecimalInput::Text(get("value")),
        currency: get("currency"),
        quantity,
        rates: Vec::new(),
        documents: pairs
            .iter()
            .filter(|(k, _)| k == "document")
            .map(|(_, v)| v.clone())
            .take(super::MAX_DOCUMENTS + 1)
            .collect(),
    }
}

fn breakdown(lang: Lang, calc: &Calculation<'_>, stored_rates: bool) -> Markup {
    html! {
        section #breakdown aria-labelledby="result-h" {
            h2 #result-h { (t(lang, TariffKey::result)) }
            @if calc.provenance == caravan_tariff::Provenance::Mixed {
                p.notice.illustrative #mixed role="note" { strong { (t(lang, TariffKey::provenance_mixed)) } }
            }
            @if calc.illustrative { (notice(lang)) }
            p.notice-text { (calc.notice) }
            dl {
                dt { (t(lang, TariffKey::schedule)) }
                dd { (calc.schedule) " (" (calc.jurisdiction) ", " (calc.schedule_version.to_string()) ")" }
                dt { (t(lang, TariffKey::line)) }
                dd { a href={ "/tariff/lines/" (calc.jurisdiction) "/" (calc.line.code) "?date=" (calc.date.to_string()) } { (calc.line.code) } " — " (calc.line.description) }
                dt { (t(lang, TariffKey::customs_value)) }
                dd #customs-value { (calc.customs_value.to_string()) @if calc.declared_value != calc.customs_value { " (" (calc.declared_value.to_string()) ")" } }
                @for rate in &calc.exchange_rates {
                    dt { (t(lang, TariffKey::exchange_rate)) }
                    dd.rate {
                        "1 " (rate.from) " = " (rate.rate.rate.to_string()) " " (rate.to) " (" (rate.rate.valid_from.to_string()) ", " (rate.rate.source) ")"
                        @if stored_rates { " — " small.rate-stored { (t(lang, TariffKey::rate_stored)) " (" a href={ "/tariff/rates?to=" (rate.to) } { (t(lang, TariffKey::rates_title)) } ")" } }
                    }
                }
            }
            @if !calc.prohibitions.is_empty() {
                div.error role="alert" #prohibited {
                    p { strong { (t(lang, TariffKey::prohibited)) } }
                    ul { @for p in &calc.prohibitions { li { (p.measure_id) " — " (p.legal_basis) } } }
                }
            }
            h3 { (t(lang, TariffKey::applied)) }
            table #applied {
                thead { tr {
                    th scope="col" { (t(lang, TariffKey::measure)) }
                    th scope="col" { (t(lang, TariffKey::kind)) }
                    th scope="col" { (t(lang, TariffKey::rate)) }
                    th scope="col" .num { (t(lang, TariffKey::base)) }
                    th scope="col" .num { (t(lang, TariffKey::amount)) }
                    th scope="col" { (t(lang, TariffKey::legal_basis)) }
                    th scope="col" { (t(lang, TariffKey::provenance)) }
                } }
                tbody {
                    @for a in &calc.applied {
                        tr {
                            td { (a.measure_id) }
                            td { (kind_label(lang, a.kind)) @if let Some(agr) = a.agreement { br; small { (agr) } } }
                            td { (a.expression.unwrap_or("")) }
                            td.num { @if let Some(base) = &a.base { (base.to_string()) } }
                            td.num { (a.amount.to_string()) }
                            td { (a.legal_basis) }
                            td.provenance { (provenance_label(lang, a.provenance)) }
                        }
                    }
                }
                tfoot {
                    tr { th scope="row" colspan="4" { (t(lang, TariffKey::total)) } td.num #total { strong { (calc.total.to_string()) } } td {} td {} }
                    tr { th scope="row" colspan="4" { (t(lang, TariffKey::vat_base)) } td.num #vat-base { (calc.vat_base.to_string()) } td {} td {} }
                }
            }
            @if !calc.requirements.is_empty() {
                h3 { (t(lang, TariffKey::requirements)) }
                ul #requirements {
                    @for r in &calc.requirements {
                        li { strong { (r.document) } ": "
                            @if r.presented { (t(lang, TariffKey::presented)) } @else { (t(lang, TariffKey::missing)) }
                            " (" (r.legal_basis) ")" }
                    }
                }
            }
            @if !calc.not_applied.is_empty() {
                h3 { (t(lang, TariffKey::not_applied)) }
                table #not-applied {
                    thead { tr {
                        th scope="col" { (t(lang, TariffKey::measure)) }
                        th scope="col" { (t(lang, TariffKey::kind)) }
                        th scope="col" { (t(lang, TariffKey::rate)) }
                        th scope="col" { (t(lang, TariffKey::reason)) }
                        th scope="col" { (t(lang, TariffKey::legal_basis)) }
                        th scope="col" { (t(lang, TariffKey::provenance)) }
                    } }
                    tbody {
                        @for n in &calc.not_applied {
                            tr {
                                td { (n.measure_id) }
                                td { (kind_label(lang, n.kind)) }
                                td { (n.expression.unwrap_or("")) }
                                td.reason { (n.reason.to_string()) }
                                td { (n.legal_basis) }
                                td.provenance { (provenance_label(lang, n.provenance)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /tariff`: the duty calculator; with a code in the query, the breakdown below the form.
pub async fn calculator(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeCaller(caller): MaybeCaller,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let lang = ui_lang(&headers);
    let today = (state.clock)().date();
    let today_text = today.to_string();
    let submitted = !field(&pairs, "code").trim().is_empty();
    let outcome = if submitted {
        Some(
            async {
                let given = page_rates(field(&pairs, "rates"))?;
                let declaration =
                    request_from_pairs(&pairs).declaration(&state.tariff().tariff, today)?;
                service::calculate(&state, &declaration, given, lang, |calculation, from| {
                    breakdown(lang, &calculation, matches!(from, service::RatesFrom::Stored(_)))
                })
                .await
            }
            .await,
        )
    } else {
        None
    };
    let status = match &outcome {
        Some(Err(err)) => err.status,
        _ => StatusCode::OK,
    };
    let body = html! {
        h1 { (t(lang, TariffKey::calculator_title)) }
        p.notice #provenance-intro role="note" { (t(lang, TariffKey::provenance_intro)) }
        p { (t(lang, TariffKey::calculator_intro)) }
        @if let Some(Err(err)) = &outcome { (error_box(lang, err)) }
        (calculator_form(&state, lang, &pairs, &today_text))
        @if let Some(Ok(markup)) = &outcome { (markup) }
    };
    page(
        status,
        layout(lang, caller.as_ref(), t(lang, TariffKey::calculator_title), with_css(body)),
    )
}

// ---------------------------------------------------------------------------------------------
// Line browser.

fn lines_markup(lang: Lang, answer: &LinesAnswer) -> Markup {
    html! {
        @if answer.schedule.illustrative { (notice(lang)) }
        p { (answer.schedule.title) " (" (answer.jurisdiction) ", " (answer.schedule.version) ") — " (answer.date) }
        @for line in &answer.lines {
            section.line {
                h2 { (dotted(&line.code)) " — " (line.description) }
                p {
                    (t(lang, TariffKey::valid)) " " (t(lang, TariffKey::from)) " " (line.valid_from)
                    @if let Some(to) = &line.valid_to { " " (t(lang, TariffKey::to)) " " (to) }
                    " · "
                    a href={ "/tariff?jurisdiction=" (answer.jurisdiction) "&code=" (line.code) "&date=" (answer.date) } { (t(lang, TariffKey::calculate_line)) }
                }
                table.measures {
                    thead { tr {
                        th scope="col" { (t(lang, TariffKey::measure)) }
                        th scope="col" { (t(lang, TariffKey::kind)) }
                        th scope="col" { (t(lang, TariffKey::origin_area)) }
                        th scope="col" { (t(lang, TariffKey::duty)) }
                        th scope="col" { (t(lang, TariffKey::valid)) }
                        th scope="col" { (t(lang, TariffKey::legal_basis)) }
                        th scope="col" { (t(lang, TariffKey::provenance)) }
                    } }
                    tbody {
                        @for m in &line.measures {
                            tr {
                                td { (m.id) }
                                td { (kind_label_str(lang, &m.kind)) @if let Some(a) = &m.agreement { br; small { (a) } } }
                                td { (m.origin) @if !m.excluded_origins.is_empty() { " − " (m.excluded_origins.join(", ")) } }
                                td { (m.duty.as_deref().or(m.document.as_deref()).unwrap_or("")) }
                                td { (m.valid_from) @if let Some(to) = &m.valid_to { " – " (to) } }
                                td { (m.legal_reference) }
                                td.provenance { (if m.provenance == "real" { t(lang, TariffKey::provenance_real) } else { t(lang, TariffKey::provenance_illustrative) }) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn render_lines(
    state: &AppState,
    lang: Lang,
    caller: Option<&Caller>,
    jurisdiction: &str,
    code: &str,
    date_text: &str,
) -> Response {
    let today = (state.clock)().date();
    let outcome = (!code.trim().is_empty())
        .then(|| service::lines(state, jurisdiction, code, date_text, lang));
    let status = match &outcome {
        Some(Err(err)) => err.status,
        _ => StatusCode::OK,
    };
    let selected = super::normalise_jurisdiction(&state.tariff().tariff, jurisdiction);
    let date_value = if date_text.is_empty() { today.to_string() } else { date_text.to_owned() };
    let body = html! {
        h1 { (t(lang, TariffKey::lines_title)) }
        p { (t(lang, TariffKey::lines_intro)) }
        @if let Some(Err(err)) = &outcome { (error_box(lang, err)) }
        form.grid method="get" action="/tariff/lines" {
            div {
                label for="jurisdiction" { (t(lang, TariffKey::jurisdiction)) }
                select #jurisdiction name="jurisdiction" {
                    @for j in state.tariff().tariff.jurisdictions() { option value=(j) selected[j == selected] { (j) } }
                }
            }
            div {
                label for="code" { (t(lang, TariffKey::code)) }
                input #code name="code" type="text" inputmode="numeric" value=(code) required;
                small { a href={ "/hs?q=" (code) } { (t(lang, TariffKey::find_code)) } }
            }
            div {
                label for="date" { (t(lang, TariffKey::date)) }
                input #date name="date" type="date" value=(date_value);
            }
            div { button type="submit" { (t(lang, TariffKey::show)) } }
        }
        @if let Some(Ok(answer)) = &outcome { (lines_markup(lang, answer)) }
    };
    page(status, layout(lang, caller, t(lang, TariffKey::lines_title), with_css(body)))
}

/// `GET /tariff/lines?jurisdiction=&code=&date=`: the line browser's form and answer.
pub async fn lines_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeCaller(caller): MaybeCaller,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let lang = ui_lang(&headers);
    render_lines(
        &state,
        lang,
        caller.as_ref(),
        field(&pairs, "jurisdiction"),
        field(&pairs, "code"),
        field(&pairs, "date"),
    )
}

/// `GET /tariff/lines/{jurisdiction}/{code}?date=`: one line (or heading) on a date.
pub async fn lines_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeCaller(caller): MaybeCaller,
    Path((jurisdiction, code)): Path<(String, String)>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let lang = ui_lang(&headers);
    render_lines(&state, lang, caller.as_ref(), &jurisdiction, &code, field(&pairs, "date"))
}

// ---------------------------------------------------------------------------------------------
// Origin wizard.

/// The most rows the wizard shows.
const MAX_ROWS: usize = 200;

/// What the wizard carries from step to step (hidden fields), read from the form pairs.
struct Wizard {
    agreement: String,
    product: String,
    exporter: String,
    price: String,
    processes: String,
    csv: String,
    rows: Vec<[String; 4]>,
    n_rows: usize,
}

impl Wizard {
    fn from_pairs(pairs: &[(String, String)]) -> Wizard {
        let get = |name: &str| field(pairs, name).to_owned();
        let n_rows = get("rows").trim().parse::<usize>().unwrap_or(5).clamp(1, MAX_ROWS);
        let rows = (0..n_rows)
            .map(|idx| {
                ["hs_code", "origin", "value", "description"]
                    .map(|name| field(pairs, &format!("{name}_{idx}")).to_owned())
            })
            .collect();
        Wizard {
            agreement: get("agreement"),
            product: get("product"),
            exporter: get("exporter"),
            price: get("price"),
            processes: get("processes"),
            csv: get("csv"),
            rows,
            n_rows,
        }
    }

    fn filled_rows(&self) -> impl Iterator<Item = &[String; 4]> {
        self.rows.iter().filter(|r| r.iter().any(|c| !c.trim().is_empty()))
    }

    /// The wizard's inputs as the API request: rows first, then CSV lines.
    fn request(&self) -> Result<AssessRequest, ApiError> {
        let mut bom: Vec<BomLineInput> = self
            .filled_rows()
            .map(|[hs, origin, value, description]| BomLineInput {
                hs_code: hs.clone(),
                origin: origin.clone(),
                value: DecimalInput::Text(value.clone()),
                description: Some(description.clone()),
            })
            .collect();
        bom.extend(parse_csv(&self.csv)?);
        Ok(AssessRequest {
            agreement: self.agreement.clone(),
            product: self.product.clone(),
            exporter: self.exporter.clone(),
            price: DecimalInput::Text(self.price.clone()),
            bom,
            processes: self
                .processes
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            cumulation: Vec::new(),
        })
    }

    /// Step 1 and 2 values as hidden fields.
    fn hidden_product(&self) -> Markup {
        html! {
            input type="hidden" name="agreement" value=(self.agreement);
            input type="hidden" name="product" value=(self.product);
            input type="hidden" name="exporter" value=(self.exporter);
            input type="hidden" name="price" value=(self.price);
            input type="hidden" name="processes" value=(self.processes);
        }
    }

    fn hidden_bom(&self) -> Markup {
        let filled: Vec<&[String; 4]> = self.filled_rows().collect();
        html! {
            input type="hidden" name="rows" value=(filled.len().max(5));
            @for (idx, row) in filled.iter().enumerate() {
                @for (name, value) in ["hs_code", "origin", "value", "description"].iter().zip(row.iter()) {
                    input type="hidden" name={ (name) "_" (idx) } value=(value);
                }
            }
            input type="hidden" name="csv" value=(self.csv);
        }
    }
}

/// Reads pasted CSV: `hs_code,origin,value[,description]`, with or without the header line.
/// Errors name the CSV line.
fn parse_csv(text: &str) -> Result<Vec<BomLineInput>, ApiError> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let has_header = text.trim_start().trim_start_matches('\u{feff}').starts_with("hs_code");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(has_header)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (idx, record) in reader.records().enumerate() {
        let line = idx + 1 + usize::from(has_header);
        let record = record.map_err(|err| {
            super::invalid("csv", format!("csv line {line}: malformed CSV ({err})"))
        })?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() < 3 {
            return Err(super::invalid(
                "csv",
                format!(
                    "csv line {line}: give hs_code,origin,value[,description], got {} columns",
                    record.len()
                ),
            ));
        }
        if out.len() >= super::MAX_BOM_LINES {
            return Err(super::invalid(
                "csv",
                format!("csv: at most {} lines", super::MAX_BOM_LINES),
            ));
        }
        out.push(BomLineInput {
            hs_code: record.get(0).unwrap_or_default().to_owned(),
            origin: record.get(1).unwrap_or_default().to_owned(),
            value: DecimalInput::Text(record.get(2).unwrap_or_default().to_owned()),
            description: record.get(3).map(str::to_owned),
        });
    }
    Ok(out)
}

fn step1(
    state: &AppState,
    lang: Lang,
    caller: Option<&Caller>,
    w: &Wizard,
    error: Option<&ApiError>,
) -> Markup {
    html! {
        h2 { (t(lang, TariffKey::step1)) }
        @if let Some(err) = error { (error_box(lang, err)) }
        form.grid method="post" action="/origin" #origin-step1 {
            (csrf(caller))
            input type="hidden" name="step" value="bom";
            div {
                label for="agreement" { (t(lang, TariffKey::agreement)) }
                select #agreement name="agreement" {
                    @for e in &state.tariff().rule_books {
                        option value=(e.id) selected[e.id == w.agreement] { (e.book.agreement) }
                    }
                }
            }
            div {
                label for="product" { (t(lang, TariffKey::product)) }
                input #product name="product" type="text" inputmode="numeric" value=(w.product) required placeholder="854442";
                small { a href={ "/hs?q=" (w.product) } { (t(lang, TariffKey::find_code)) } }
            }
            div {
                label for="exporter" { (t(lang, TariffKey::exporter)) }
                input #exporter name="exporter" type="text" maxlength="2" value=(w.exporter) required placeholder="UZ";
            }
            div {
                label for="price" { (t(lang, TariffKey::price)) }
                input #price name="price" type="text" inputmode="decimal" value=(w.price) required placeholder="1000.00";
            }
            div {
                label for="processes" { (t(lang, TariffKey::processes)) }
                textarea #processes name="processes" rows="2" { (w.processes) }
            }
            input type="hidden" name="rows" value=(w.n_rows);
            @for (idx, row) in w.filled_rows().enumerate() {
                @for (name, value) in ["hs_code", "origin", "value", "description"].iter().zip(row.iter()) {
                    input type="hidden" name={ (name) "_" (idx) } value=(value);
                }
            }
            input type="hidden" name="csv" value=(w.csv);
            div { button type="submit" { (t(lang, TariffKey::next)) } }
        }
    }
}

fn step2(
    lang: Lang,
    caller: Option<&Caller>,
    w: &Wizard,
    n_rows: usize,
    error: Option<&ApiError>,
) -> Markup {
    let filled: Vec<&[String; 4]> = w.filled_rows().collect();
    let empty = ["", "", "", ""].map(str::to_owned);
    html! {
        h2 { (t(lang, TariffKey::step2)) }
        p { (w.product) " · " (w.exporter) " · " (w.price) }
        p { (t(lang, TariffKey::bom_intro)) }
        @if let Some(err) = error { (error_box(lang, err)) }
        form method="post" action="/origin" #origin-step2 {
            (csrf(caller))
            (w.hidden_product())
            input type="hidden" name="rows" value=(n_rows);
            table #bom {
                thead { tr {
                    th scope="col" { "#" }
                    th scope="col" { (t(lang, TariffKey::hs_code)) }
                    th scope="col" { (t(lang, TariffKey::material_origin)) }
                    th scope="col" { (t(lang, TariffKey::material_value)) }
                    th scope="col" { (t(lang, TariffKey::description)) }
                } }
                tbody {
                    @for idx in 0..n_rows {
                        @let row = filled.get(idx).copied().unwrap_or(&empty);
                        tr {
                            td { (idx + 1) }
                            td { input type="text" name={ "hs_code_" (idx) } id={ "hs_code_" (idx) } value=(row[0]) inputmode="numeric" aria-label={ (t(lang, TariffKey::material)) " " (idx + 1) ": " (t(lang, TariffKey::hs_code)) }; }
                            td { input type="text" name={ "origin_" (idx) } id={ "origin_" (idx) } value=(row[1]) maxlength="2" size="3" aria-label={ (t(lang, TariffKey::material)) " " (idx + 1) ": " (t(lang, TariffKey::material_origin)) }; }
                            td { input type="text" name={ "value_" (idx) } id={ "value_" (idx) } value=(row[2]) inputmode="decimal" aria-label={ (t(lang, TariffKey::material)) " " (idx + 1) ": " (t(lang, TariffKey::material_value)) }; }
                            td { input type="text" name={ "description_" (idx) } id={ "description_" (idx) } value=(row[3]) aria-label={ (t(lang, TariffKey::material)) " " (idx + 1) ": " (t(lang, TariffKey::description)) }; }
                        }
                    }
                }
            }
            button type="submit" name="step" value="more" { (t(lang, TariffKey::more_rows)) }
            div {
                label for="csv" { (t(lang, TariffKey::csv)) }
                textarea #csv name="csv" rows="6" cols="60" placeholder="hs_code,origin,value,description\n7403,KZ,450.00,copper cathodes" { (w.csv) }
            }
            div.no-js-optional {
                label for="csv-file" { (t(lang, TariffKey::csv_file)) }
                input #csv-file type="file" accept=".csv,text/csv";
            }
            script { (PreEscaped(CSV_FILE_JS)) }
            div {
                button type="submit" name="step" value="back" formnovalidate { (t(lang, TariffKey::back)) }
                " "
                button type="submit" name="step" value="assess" { (t(lang, TariffKey::assess)) }
            }
        }
    }
}

/// Enhancement only: reads a chosen CSV file into the paste box (the form works without it).
const CSV_FILE_JS: &str = "document.getElementById('csv-file').addEventListener('change',function(e){var f=e.target.files[0];if(!f)return;var r=new FileReader();r.onload=function(){document.getElementById('csv').value=r.result;};r.readAsText(f);});";

fn verdict_markup(lang: Lang, v: &caravan_origin::Verdict<'_>) -> Markup {
    html! {
        @if v.illustrative { (notice(lang)) @if let Some(n) = v.notice { p.notice-text { (n) } } }
        div #verdict class=(if v.qualifies { "verdict-yes" } else { "verdict-no" }) role="status" {
            p { strong { (if v.qualifies { t(lang, TariffKey::qualifies) } else { t(lang, TariffKey::not_qualifies) }) } }
        }
        dl {
            dt { (t(lang, TariffKey::agreement)) } dd { (v.agreement) }
            dt { (t(lang, TariffKey::product)) } dd { (v.product) }
            dt { (t(lang, TariffKey::exporter)) } dd { (v.exporter) }
            dt { (t(lang, TariffKey::price)) } dd { (v.price.to_string()) }
            dt { (t(lang, TariffKey::rule_applied)) } dd #rule-applied { (v.rule_applied.as_deref().unwrap_or(t(lang, TariffKey::none))) }
            dt { (t(lang, TariffKey::originating_value)) } dd { (v.materials.originating_value.to_string()) }
            dt { (t(lang, TariffKey::non_originating_value)) } dd { (v.materials.non_originating_value.to_string()) " (" (v.materials.non_originating_percent.to_string()) " %)" }
        }
        h3 { (t(lang, TariffKey::explanation)) }
        ol.steps #steps { @for step in &v.steps { li { (step) } } }
        @if !v.unclassified.is_empty() {
            h3 { (t(lang, TariffKey::unclassified)) }
            ul #unclassified { @for u in &v.unclassified { li { (u) } } }
        }
        p { small { (t(lang, TariffKey::self_assessment_note)) } }
    }
}

/// A self-contained printable page (print CSS, no navigation) a trader can keep.
fn printable(lang: Lang, v: &caravan_origin::Verdict<'_>, today: &str) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.as_str()) {
            head {
                meta charset="utf-8";
                title { (t(lang, TariffKey::origin_title)) " — " (v.product) }
                style { (PreEscaped(EXTRA_CSS)) (PreEscaped("body { font-family: sans-serif; max-width: 48rem; margin: 1rem auto; } dt { font-weight: bold; } @page { margin: 2cm; }")) }
            }
            body {
                h1 { (t(lang, TariffKey::origin_title)) }
                p { (t(lang, TariffKey::assessed_on)) " " (today) }
                (verdict_markup(lang, v))
                p.no-print { button type="button" onclick="window.print()" { (t(lang, TariffKey::print_now)) } }
            }
        }
    }
}

/// `GET /origin`: step 1 of the wizard.
pub async fn origin_start(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeCaller(caller): MaybeCaller,
) -> Response {
    let lang = ui_lang(&headers);
    let wizard = Wizard::from_pairs(&[]);
    origin_page(
        &state,
        lang,
        caller.as_ref(),
        StatusCode::OK,
        step1(&state, lang, caller.as_ref(), &wizard, None),
    )
}

fn origin_page(
    state: &AppState,
    lang: Lang,
    caller: Option<&Caller>,
    status: StatusCode,
    step: Markup,
) -> Response {
    let _ = state;
    let body = html! {
        h1 { (t(lang, TariffKey::origin_title)) }
        p { (t(lang, TariffKey::origin_intro)) }
        (step)
    };
    page(status, layout(lang, caller, t(lang, TariffKey::origin_title), with_css(body)))
}

/// `POST /origin`: the wizard's next step, chosen by the `step` button pressed.
pub async fn origin_step(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeCaller(caller): MaybeCaller,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let lang = ui_lang(&headers);
    let caller = caller.as_ref();
    let w = Wizard::from_pairs(&pairs);
    let filled = w.filled_rows().count();
    let show = |status: StatusCode, step: Markup| origin_page(&state, lang, caller, status, step);
    match field(&pairs, "step") {
        "back" => show(StatusCode::OK, step1(&state, lang, caller, &w, None)),
        "more" => show(
            StatusCode::OK,
            step2(lang, caller, &w, (w.n_rows.max(filled) + 5).min(MAX_ROWS), None),
        ),
        "bom" => {
            // Check step 1 alone (an empty bill of materials is valid at this point).
            let request = match w.request() {
                Ok(r) => r,
                Err(err) => {
                    return show(err.status, step2(lang, caller, &w, filled.max(5), Some(&err)));
                }
            };
            match service::check_product(&state, request) {
                Ok(_) => show(StatusCode::OK, step2(lang, caller, &w, filled.max(5), None)),
                Err(err) => show(err.status, step1(&state, lang, caller, &w, Some(&err))),
            }
        }
        step @ ("assess" | "print") => {
            let outcome = w.request().and_then(|req| {
                let verdict = service::assess(&state, &req)?;
                Ok(if step == "print" {
                    printable(lang, &verdict, &(state.clock)().date().to_string())
                } else {
                    html! {
                        h2 { (t(lang, TariffKey::step3)) }
                        (verdict_markup(lang, &verdict))
                        form method="post" action="/origin" #origin-step3 {
                            (csrf(caller))
                            (w.hidden_product())
                            (w.hidden_bom())
                            button type="submit" name="step" value="more" { (t(lang, TariffKey::edit_bom)) }
                            " "
                            button type="submit" name="step" value="print" formtarget="_blank" { (t(lang, TariffKey::print)) }
                        }
                    }
                })
            });
            match outcome {
                Ok(markup) if step == "print" => {
                    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], markup.into_string())
                        .into_response()
                }
                Ok(markup) => show(StatusCode::OK, markup),
                Err(err) => {
                    let product_field = err.field.as_deref().is_some_and(|f| {
                        matches!(f, "agreement" | "product" | "exporter" | "price" | "processes")
                            || f.starts_with("processes[")
                    });
                    if product_field {
                        show(err.status, step1(&state, lang, caller, &w, Some(&err)))
                    } else {
                        show(err.status, step2(lang, caller, &w, filled.max(5), Some(&err)))
                    }
                }
            }
        }
        _ => show(StatusCode::OK, step1(&state, lang, caller, &w, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tariff_string_has_three_languages() {
        for key in TariffKey::ALL {
            for lang in [Lang::En, Lang::Ru, Lang::Zh] {
                assert!(caravan_web::i18n::has_translation(lang, *key), "{key:?} lacks {lang:?}");
            }
        }
    }

    #[test]
    fn csv_with_and_without_header() {
        let rows =
            parse_csv("hs_code,origin,value,description\n7403,KZ,450.00,\"copper, cathodes\"\n")
                .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].description.as_deref(), Some("copper, cathodes"));
        let rows = parse_csv("7403,KZ,450\n3901,CN,10\n").unwrap();
        assert_eq!(rows.len(), 2);
        let err = parse_csv("7403,KZ\n").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("csv"));
        assert!(err.message.contains("line 1"), "{}", err.message);
    }
}
