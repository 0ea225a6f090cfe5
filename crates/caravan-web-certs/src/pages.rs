//! The certificate pages: the certifier's register (issue form per document type, list,
//! readable detail with download, QR code and revoke), an authority's signing keys (list,
//! generate Ed25519 or SM2, retire), the public `/verify` page and the auditors' log monitor
//! `/logs`. Plain HTML forms; a few lines of script only read a chosen file into the verify form.

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use caravan_docsign::credential::{DocumentType, Field, Kind, sample_subject};
use caravan_docsign::verify::{CheckName, VerificationReport};
use caravan_interop::verdict::{Why, fill};
use caravan_refdata::Lang;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::HashMap;

use super::service::{
    self, can_issue, can_manage_keys, issue, qr_payload, readable_certificate, revoke,
};
use super::{CertState as _, IssueRequest, NewKeyRequest};
use caravan_store::certs::SigningKey;
use caravan_web::AppState;
use caravan_web::auth::{Caller, MaybeCaller};
use caravan_web::error::ApiError;
use caravan_web::i18n::t;
use caravan_web::ui::PageCaller;
use caravan_web::ui::{error_page, layout, page, ui_lang};

caravan_web::strings! { CertKey {
    certificates => ["Certificates", "Сертификаты", "证书"],
    issue_certificate => ["Issue a certificate", "Выдать сертификат", "签发证书"],
    document_type => ["Document type", "Тип документа", "文件类型"],
    type_origin => ["Certificate of origin", "Сертификат происхождения", "原产地证书"],
    type_phyto => ["Phytosanitary certificate", "Фитосанитарный сертификат", "植物检疫证书"],
    type_passport => ["Mineral product passport", "Паспорт минеральной продукции", "矿产品护照"],
    subject => ["Certificate content (JSON)", "Содержание сертификата (JSON)", "证书内容（JSON）"],
    subject_help => [
        "Edit the example: replace every value with the consignment's data, keep the field names. Switch the type above to get its example.",
        "Измените пример: замените каждое значение данными партии, сохраните названия полей. Смените тип выше, чтобы получить его пример.",
        "修改示例：用本批货物的数据替换每个值，保留字段名。在上方切换类型可获取相应示例。"
    ],
    show_example => ["Show the example", "Показать пример", "显示示例"],
    choose_type => ["Choose the form", "Выбрать форму", "选择表格"],
    fields_help => [
        "Fill in the fields; the grey text in each is an example. Leave unused lines empty. Required fields are marked *.",
        "Заполните поля; серый текст в каждом — пример. Оставьте лишние строки пустыми. Обязательные поля отмечены *.",
        "请填写各字段；灰色文字为示例。未用的行留空。必填字段标有 *。"
    ],
    line => ["Line", "Строка", "行"],
    one_per_line => ["one per line", "по одной в строке", "每行一条"],
    or_json => ["Or paste the whole content as JSON", "Или вставьте всё содержание в виде JSON", "或以 JSON 粘贴全部内容"],
    issue => ["Sign and issue", "Подписать и выдать", "签名并签发"],
    issued => ["Issued", "Выдан", "签发时间"],
    no_certificates => [
        "No certificates yet. Issue the first one with the form below.",
        "Сертификатов пока нет. Выдайте первый с помощью формы ниже.",
        "尚无证书。请用下面的表格签发第一份。"
    ],
    not_certifier => [
        "Only certifiers of a certifying body or plant protection service issue certificates. To check a certificate, use the verify page.",
        "Выдавать сертификаты могут только сертификаторы органа по сертификации или службы защиты растений. Чтобы проверить сертификат, откройте страницу проверки.",
        "只有认证机构或植物保护机构的认证员可以签发证书。要核验证书，请使用核验页面。"
    ],
    status => ["Status", "Статус", "状态"],
    valid => ["Valid", "Действителен", "有效"],
    revoked => ["Revoked", "Отозван", "已撤销"],
    issuer => ["Issuer", "Выдавший орган", "签发机构"],
    download_json => ["Download the certificate (JSON)", "Скачать сертификат (JSON)", "下载证书（JSON）"],
    qr_payload => ["QR code text", "Текст QR-кода", "二维码文本"],
    qr_code => ["QR code", "QR-код", "二维码"],
    qr_help => [
        "Print this QR code on the paper copy: it holds the whole signed certificate, so it is verified offline. The text below is its content; the verify page also accepts it pasted.",
        "Напечатайте этот QR-код на бумажной копии: в нём весь подписанный сертификат, поэтому его можно проверить без сети. Ниже — его содержимое в виде текста; страница проверки принимает и вставленный текст.",
        "请将此二维码印在纸质副本上：它包含完整的已签名证书，可离线核验。下方是其文本内容；核验页面也接受粘贴的文本。"
    ],
    qr_image_label => ["QR code holding the signed certificate", "QR-код с подписанным сертификатом", "包含已签名证书的二维码"],
    qr_symbol => ["QR version and error correction level", "Версия QR-кода и уровень коррекции ошибок", "二维码版本和纠错等级"],
    qr_download => ["Download the QR code (SVG)", "Скачать QR-код (SVG)", "下载二维码（SVG）"],
    signing_keys => ["Signing keys", "Ключи подписи", "签名密钥"],
    keys_help => [
        "The keys that sign this authority's certificates. Verifiers' trust list changes at once. A retired key signs nothing new; certificates it signed before stay valid.",
        "Ключи, которыми подписываются сертификаты этого органа. Список доверия у проверяющих меняется сразу. Выведенный из работы ключ больше ничего не подписывает; подписанные им ранее сертификаты остаются действительными.",
        "用于签署本机构证书的密钥。核验方的信任列表会立即更新。停用的密钥不再签署新证书；此前签署的证书仍然有效。"
    ],
    no_keys => [
        "No signing keys yet: generate an Ed25519 key to start issuing.",
        "Ключей подписи пока нет: создайте ключ Ed25519, чтобы начать выдачу.",
        "尚无签名密钥：请生成一个 Ed25519 密钥以开始签发。"
    ],
    key_id => ["Key id", "Идентификатор ключа", "密钥标识"],
    algorithm => ["Algorithm", "Алгоритм", "算法"],
    alg_ed25519 => ["Ed25519: signs certificates and the log", "Ed25519: подписывает сертификаты и журнал", "Ed25519：签署证书和日志"],
    alg_sm2 => ["SM2 with SM3: second signature", "SM2 с SM3: вторая подпись", "SM2/SM3：第二签名"],
    document_types => ["Document types", "Типы документов", "文件种类"],
    validity => ["Validity", "Срок действия", "有效期"],
    public_key => ["Public key", "Открытый ключ", "公钥"],
    key_active => ["Active", "Действует", "有效"],
    key_rotated => ["Rotated out", "Заменён новым", "已轮换"],
    key_retired => ["Retired", "Выведен из работы", "已停用"],
    key_not_yet => ["Not yet valid", "Ещё не действует", "尚未生效"],
    generate_key => ["Generate a key", "Создать ключ", "生成密钥"],
    rotate => [
        "Replace the current keys of this algorithm (rotation)",
        "Заменить текущие ключи этого алгоритма (ротация)",
        "替换该算法的现有密钥（轮换）"
    ],
    retire_key => ["Retire", "Вывести из работы", "停用"],
    actions => ["Actions", "Действия", "操作"],
    revoke => ["Revoke", "Отозвать", "撤销"],
    revoke_reason => ["Reason for revoking", "Причина отзыва", "撤销原因"],
    revoke_help => [
        "Verifiers will read this reason. Revoking cannot be undone.",
        "Проверяющие увидят эту причину. Отзыв нельзя отменить.",
        "核验方将看到此原因。撤销后无法恢复。"
    ],
    verify_title => ["Verify a certificate", "Проверить сертификат", "核验证书"],
    verify_help => [
        "Paste the certificate file's content or the text of its QR code, or choose the file. Nothing you paste is stored.",
        "Вставьте содержимое файла сертификата или текст его QR-кода либо выберите файл. Вставленное не сохраняется.",
        "粘贴证书文件内容或其二维码文本，或选择文件。粘贴的内容不会被保存。"
    ],
    certificate_file => ["Certificate file", "Файл сертификата", "证书文件"],
    certificate_text => ["Certificate JSON or QR text", "JSON сертификата или текст QR-кода", "证书 JSON 或二维码文本"],
    verify => ["Verify", "Проверить", "核验"],
    verdict_valid => [
        "Valid: every check passed.",
        "Действителен: все проверки пройдены.",
        "有效：所有检查均通过。"
    ],
    verdict_invalid => [
        "Not valid: do not accept this certificate.",
        "Недействителен: не принимайте этот сертификат.",
        "无效：请勿接受此证书。"
    ],
    verdict_not_checked => [
        "Not fully checked: nothing failed, but some checks need the network; see below.",
        "Проверен не полностью: ошибок нет, но часть проверок требует сети; см. ниже.",
        "未完全核验：没有检查失败，但部分检查需要联网；见下文。"
    ],
    document_format => ["Format", "Формат", "格式"],
    check_valid => ["valid", "действительна", "有效"],
    check_invalid => ["invalid", "недействительна", "无效"],
    check_not_checked_offline => ["not checked offline", "не проверена без сети", "离线未检查"],
    check_integrity => ["Integrity: nothing was changed", "Целостность: ничего не изменено", "完整性：内容未被篡改"],
    check_identity => ["Issuer identity", "Личность эмитента", "签发者身份"],
    check_issuance => ["Issued by the named issuer", "Выдан указанным эмитентом", "由所列签发者签发"],
    check_revocation => ["Not revoked", "Не отозван", "未被撤销"],
    check_passed => ["passed", "пройдена", "通过"],
    check_failed => ["failed", "не пройдена", "未通过"],
    check_skipped => ["not checked", "не проверялась", "未检查"],
    check_well_formed => ["Readable document", "Документ читается", "文件可读"],
    check_structure => ["Known certificate type and fields", "Известный тип и поля сертификата", "证书类型与字段有效"],
    check_schema => ["Conforms to the UNTP JSON Schema", "Соответствует JSON-схеме UNTP", "符合 UNTP JSON Schema"],
    // The fixed explanations of other formats' checks (caravan_interop::verdict::Why), `{0}`,
    // `{1}`, ... being their variable parts.
    why_oa_key_not_did_ethr => ["key {0} is not a did:ethr address; resolving other DIDs needs the network", "ключ {0} — не адрес did:ethr; для разрешения других DID нужна сеть", "密钥 {0} 不是 did:ethr 地址；解析其他 DID 需要联网"],
    why_oa_did_signature => ["EIP-191 signature over merkleRoot by {0}, the address of {1} (its default controller; on-chain key changes are not checked offline)", "подпись EIP-191 над merkleRoot сделана {0}, адресом {1} (его контроллер по умолчанию; смена ключей в блокчейне без сети не проверяется)", "merkleRoot 上的 EIP-191 签名由 {0} 作出，即 {1} 的地址（其默认控制者；链上密钥变更不做离线检查）"],
    why_oa_wrong_signer => ["the signature over merkleRoot was made by {0}, not by {1} ({2})", "подпись над merkleRoot сделана {0}, а не {1} ({2})", "merkleRoot 上的签名由 {0} 作出，而非 {1}（{2}）"],
    why_oa_dns_did_needs_records => ["DNS-DID: needs the TXT records of {0} (none pinned; pass --dns-records)", "DNS-DID: нужны TXT-записи {0} (закреплённых нет; передайте --dns-records)", "DNS-DID：需要 {0} 的 TXT 记录（未固定任何记录；请提供 --dns-records）"],
    why_oa_dns_did_pinned => ["DNS-DID: a pinned TXT record of {0} names {1}", "DNS-DID: закреплённая TXT-запись {0} называет {1}", "DNS-DID：{0} 的一条固定 TXT 记录指明了 {1}"],
    why_oa_dns_did_not_pinned => ["DNS-DID: no pinned TXT record of {0} names {1}", "DNS-DID: ни одна закреплённая TXT-запись {0} не называет {1}", "DNS-DID：{0} 的固定 TXT 记录均未指明 {1}"],
    why_oa_dns_txt_needs_records => ["DNS-TXT: needs the TXT records of {0} (none pinned; pass --dns-records)", "DNS-TXT: нужны TXT-записи {0} (закреплённых нет; передайте --dns-records)", "DNS-TXT：需要 {0} 的 TXT 记录（未固定任何记录；请提供 --dns-records）"],
    why_oa_dns_txt_pinned => ["DNS-TXT: a pinned TXT record of {0} names {1}", "DNS-TXT: закреплённая TXT-запись {0} называет {1}", "DNS-TXT：{0} 的一条固定 TXT 记录指明了 {1}"],
    why_oa_dns_txt_not_pinned => ["DNS-TXT: no pinned TXT record of {0} names {1}", "DNS-TXT: ни одна закреплённая TXT-запись {0} не называет {1}", "DNS-TXT：{0} 的固定 TXT 记录均未指明 {1}"],
    why_oa_no_revocation_method => ["the issuer declares no revocation method", "эмитент не объявляет способа отзыва", "签发者未声明撤销方式"],
    why_oa_ocsp => ["needs the OCSP responder (network)", "нужен OCSP-ответчик (сеть)", "需要 OCSP 应答服务（联网）"],
    why_oa_ocsp_at => ["needs the OCSP responder at {0} (network)", "нужен OCSP-ответчик по адресу {0} (сеть)", "需要位于 {0} 的 OCSP 应答服务（联网）"],
    why_oa_revocation_store => ["needs an Ethereum node to read the revocation store", "нужен узел Ethereum, чтобы прочитать хранилище отзывов", "需要以太坊节点读取撤销存储"],
    why_oa_revocation_store_at => ["needs an Ethereum node to read the revocation store at {0}", "нужен узел Ethereum, чтобы прочитать хранилище отзывов {0}", "需要以太坊节点读取位于 {0} 的撤销存储"],
    why_oa_revocation_other => ["revocation method {0} cannot be checked offline", "способ отзыва {0} нельзя проверить без сети", "撤销方式 {0} 无法离线检查"],
    why_oa_revocation_other_at => ["revocation method {0} at {1} cannot be checked offline", "способ отзыва {0} по адресу {1} нельзя проверить без сети", "位于 {1} 的撤销方式 {0} 无法离线检查"],
    why_oa_issued_on_document_store => ["needs an Ethereum node: is merkleRoot issued on the document store {0}?", "нужен узел Ethereum: выпущен ли merkleRoot в хранилище документов {0}?", "需要以太坊节点：merkleRoot 是否已在文件存储合约 {0} 上签发？"],
    why_oa_issued_on_token_registry => ["needs an Ethereum node: is merkleRoot issued on the token registry {0}?", "нужен узел Ethereum: выпущен ли merkleRoot в реестре токенов {0}?", "需要以太坊节点：merkleRoot 是否已在代币注册合约 {0} 上签发？"],
    why_oa_revoked_on_document_store => ["needs an Ethereum node: revocation is recorded on the document store {0}", "нужен узел Ethereum: отзыв записывается в хранилище документов {0}", "需要以太坊节点：撤销记录在文件存储合约 {0} 上"],
    why_oa_did_identity => ["DID: the issuer is identified by {0} alone (no domain binds it)", "DID: эмитент определяется только {0} (ни один домен его не подтверждает)", "DID：签发者仅由 {0} 标识（没有域名与之绑定）"],
    why_oa_integrity_v2 => ["the salted data hashes to targetHash {0}; the proof of {1} step(s) leads to merkleRoot {2}", "данные с солью дают хеш targetHash {0}; доказательство из {1} шаг(ов) ведёт к merkleRoot {2}", "加盐数据的哈希为 targetHash {0}；{1} 步证明通向 merkleRoot {2}"],
    why_oa_integrity => ["the salted fields hash to targetHash {0}; the proof of {1} step(s) leads to merkleRoot {2}", "поля с солью дают хеш targetHash {0}; доказательство из {1} шаг(ов) ведёт к merkleRoot {2}", "加盐字段的哈希为 targetHash {0}；{1} 步证明通向 merkleRoot {2}"],
    why_oa_changed => ["the document hashes to {0}, not to proof.targetHash {1}: the document was changed", "хеш документа {0}, а не proof.targetHash {1}: документ изменён", "文件哈希为 {0}，而非 proof.targetHash {1}：文件已被修改"],
    why_oa_no_credential_status => ["the document declares no credential status", "документ не объявляет статуса (credentialStatus)", "文件未声明凭证状态"],
    why_sps_well_formed => ["XML without DTD or entities, root {urn:…:SPSCertificate:17}SPSCertificate", "XML без DTD и сущностей, корень {urn:…:SPSCertificate:17}SPSCertificate", "不含 DTD 或实体的 XML，根元素 {urn:…:SPSCertificate:17}SPSCertificate"],
    why_sps_structure => ["document {0} of type {1}, {2} unmapped element(s) listed on import", "документ {0} типа {1}; несопоставленных элементов, перечисленных при импорте: {2}", "类型为 {1} 的文件 {0}，导入时列出 {2} 个未映射元素"],
    why_sps_no_signature => ["SPS XML carries no signature of its own: the ePhyto Hub's envelope and channel authenticate it, which a file alone cannot show", "у SPS XML нет собственной подписи: его подлинность удостоверяют конверт и канал ePhyto Hub, чего один файл показать не может", "SPS XML 本身不带签名：其真实性由 ePhyto Hub 的信封和通道保证，单个文件无法体现"],
    why_untp_read => ["a UNTP credential read as a {0} document", "учётные данные UNTP, прочитанные как документ «{0}»", "UNTP 凭证，按“{0}”文件读取"],
    why_untp_no_schema_applies => ["no UNTP type with a versioned UNTP context, so no UNTP JSON Schema applies", "нет типа UNTP с версионным контекстом UNTP, поэтому ни одна JSON-схема UNTP не применима", "没有带版本化 UNTP 上下文的 UNTP 类型，因此不适用任何 UNTP JSON Schema"],
    why_untp_no_schemas_loaded => ["no UNTP JSON Schemas are loaded; UNTP publishes this one as {0}", "JSON-схемы UNTP не загружены; UNTP публикует нужную как {0}", "未加载任何 UNTP JSON Schema；UNTP 以 {0} 发布所需的架构"],
    why_untp_schema_not_loaded => ["UNTP JSON Schema {0} is not loaded (loaded: {1})", "JSON-схема UNTP {0} не загружена (загружены: {1})", "未加载 UNTP JSON Schema {0}（已加载：{1}）"],
    why_untp_conforms => ["conforms to the UNTP JSON Schema {0}", "соответствует JSON-схеме UNTP {0}", "符合 UNTP JSON Schema {0}"],
    why_untp_unsigned_view => ["the credential carries no proof: it is an unsigned view of {0}, verify that certificate", "у учётных данных нет доказательства: это неподписанное представление {0}, проверьте тот сертификат", "该凭证不带证明：它是 {0} 的未签名视图，请核验该证书"],
    why_untp_no_proof => ["the credential carries no proof", "у учётных данных нет доказательства (proof)", "该凭证不带证明"],
    why_untp_status_list => ["the status list {0} is fetched over the network, not offline", "список статусов {0} получают по сети, без сети он не проверяется", "状态列表 {0} 需通过网络获取，无法离线检查"],
    why_untp_status_list_unnamed => ["its status list is fetched over the network, not offline", "список статусов получают по сети, без сети он не проверяется", "状态列表需通过网络获取，无法离线检查"],
    why_untp_issuer_is_did_key => ["the issuer {0} is the did:key that signed: its DID document is the key itself, nothing to fetch", "эмитент {0} — это did:key, которым подписано: его DID-документ и есть сам ключ, загружать нечего", "签发者 {0} 就是签名所用的 did:key：其 DID 文档即密钥本身，无需获取"],
    why_untp_issuer_proof_fails => ["the issuer's proof does not verify, so it shows no key of the issuer", "доказательство эмитента не проходит проверку, поэтому не показывает ключа эмитента", "签发者的证明未通过验证，因此无法表明签发者的密钥"],
    why_untp_needs_did_document => ["that the signing key is {0}'s needs its DID document, fetched over the network", "чтобы установить, что ключ подписи принадлежит {0}, нужен его DID-документ, получаемый по сети", "要确认签名密钥属于 {0}，需要通过网络获取其 DID 文档"],
    why_untp_no_issuer => ["the credential names no issuer", "в учётных данных не указан эмитент", "该凭证未列明签发者"],
    why_untp_vc_jwt => ["a VC-JWT enveloped as {0}", "VC-JWT в конверте {0}", "以 {0} 封装的 VC-JWT"],
    why_untp_jws_valid => ["the EdDSA JWS verifies under the Ed25519 key {0} its kid names: nothing was changed after signing", "EdDSA JWS проверяется ключом Ed25519 {0}, названным в kid: после подписания ничего не изменено", "EdDSA JWS 可用其 kid 所指的 Ed25519 密钥 {0} 验证：签名后未作任何修改"],
    why_untp_kid_not_given => ["the key {0} is named, not given: it is in the issuer's DID document, which is fetched over the network", "ключ {0} назван, но не дан: он в DID-документе эмитента, который получают по сети", "密钥 {0} 仅被指名而未给出：它位于签发者的 DID 文档中，需通过网络获取"],
    why_untp_jws_algorithm => ["JWS algorithm {0} is not verified offline here (EdDSA is)", "алгоритм JWS {0} здесь без сети не проверяется (проверяется EdDSA)", "此处不离线验证 JWS 算法 {0}（仅验证 EdDSA）"],
    why_untp_signer_not_issuer => ["signed with a key of {0}, but the credential names {1} as its issuer", "подписано ключом {0}, но эмитентом в учётных данных назван {1}", "由 {0} 的密钥签名，但凭证列明的签发者是 {1}"],
    why_di_jcs_valid => ["the eddsa-jcs-2022 proof verifies under the Ed25519 key {0}: nothing was changed after signing", "доказательство eddsa-jcs-2022 проверяется ключом Ed25519 {0}: после подписания ничего не изменено", "eddsa-jcs-2022 证明可用 Ed25519 密钥 {0} 验证：签名后未作任何修改"],
    why_di_rdfc => ["an eddsa-rdfc-2022 proof signs the credential's RDF form: that needs its JSON-LD contexts fetched over the network, then RDF Dataset Canonicalization (RDFC-1.0), which is not done offline here", "доказательство eddsa-rdfc-2022 подписывает RDF-форму учётных данных: для проверки нужны её JSON-LD-контексты из сети, затем канонизация RDF (RDFC-1.0), которая здесь без сети не выполняется", "eddsa-rdfc-2022 证明签署的是凭证的 RDF 形式：这需要通过网络获取其 JSON-LD 上下文，再进行 RDF 数据集规范化（RDFC-1.0），此处不离线执行"],
    check_issuer => ["Issuer authorised for this type, country and date", "Орган уполномочен на этот тип, страну и дату", "签发机构对该类型、国家和日期有授权"],
    check_signature => ["Signature: nothing was changed", "Подпись: ничего не изменено", "签名：内容未被篡改"],
    check_sm2 => ["Second signature (SM2)", "Вторая подпись (SM2)", "第二签名（SM2）"],
    check_checkpoint => ["Issuer's log checkpoint signed", "Контрольная точка журнала подписана", "签发机构日志检查点已签名"],
    check_inclusion => ["Recorded in the issuer's log", "Записан в журнал выдавшего органа", "已记录在签发机构日志中"],
    check_not_revoked => ["Not revoked", "Не отозван", "未被撤销"],
    document => ["The document", "Документ", "文件内容"],
    logs_title => ["Transparency logs", "Журналы прозрачности", "透明日志"],
    logs_help => [
        "Each authority's log, its signed checkpoints, and whether each checkpoint extends the one before (an RFC 9162 consistency proof, checked here).",
        "Журнал каждого органа, его подписанные контрольные точки и то, продолжает ли каждая точка предыдущую (доказательство согласованности RFC 9162, проверяется здесь).",
        "每个机构的日志、其已签名的检查点，以及每个检查点是否延续前一个（此处校验 RFC 9162 一致性证明）。"
    ],
    tree_size => ["Entries", "Записей", "条目数"],
    root_hash => ["Root hash", "Корневой хеш", "根哈希"],
    time => ["Time", "Время", "时间"],
    consistent => ["consistent with the previous checkpoint", "согласована с предыдущей точкой", "与上一检查点一致"],
    inconsistent => ["NOT consistent with the previous checkpoint", "НЕ согласована с предыдущей точкой", "与上一检查点不一致"],
    first_checkpoint => ["first checkpoint", "первая контрольная точка", "第一个检查点"],
    no_logs => ["No authority has issued anything yet.", "Ни один орган ещё ничего не выдал.", "尚无机构签发任何证书。"],
    lookup_inclusion => ["Look up a certificate in the logs", "Найти сертификат в журналах", "在日志中查找证书"],
    certificate_id => ["Certificate id", "Идентификатор сертификата", "证书编号"],
    look_up => ["Look up", "Найти", "查找"],
    included => [
        "Included: the inclusion proof verifies against the newest checkpoint.",
        "Включён: доказательство включения сходится с последней контрольной точкой.",
        "已收录：收录证明与最新检查点相符。"
    ],
    not_included => [
        "Not found in any log. Check the id, or verify the certificate file itself.",
        "Не найден ни в одном журнале. Проверьте идентификатор или проверьте сам файл сертификата.",
        "任何日志中均未找到。请检查编号，或直接核验证书文件。"
    ],
    log_monitor => ["Log monitor", "Монитор журналов", "日志监控"],
}}

fn type_label(lang: Lang, doc_type: &str) -> &'static str {
    match doc_type {
        "origin" => t(lang, CertKey::type_origin),
        "phyto" => t(lang, CertKey::type_phyto),
        _ => t(lang, CertKey::type_passport),
    }
}

fn check_label(lang: Lang, name: CheckName) -> &'static str {
    t(
        lang,
        match name {
            CheckName::WellFormed => CertKey::check_well_formed,
            CheckName::Structure => CertKey::check_structure,
            CheckName::IssuerAuthorised => CertKey::check_issuer,
            CheckName::Signature => CertKey::check_signature,
            CheckName::Sm2Signature => CertKey::check_sm2,
            CheckName::Checkpoint => CertKey::check_checkpoint,
            CheckName::Inclusion => CertKey::check_inclusion,
            CheckName::NotRevoked => CertKey::check_not_revoked,
        },
    )
}

/// Renders any JSON value as nested definition lists, with field names made readable.
fn render_value(value: &Value) -> Markup {
    match value {
        Value::Object(map) => html! {
            dl.doc { @for (k, v) in map { dt { (readable(k)) } dd { (render_value(v)) } } }
        },
        Value::Array(items) => html! { ol { @for v in items { li { (render_value(v)) } } } },
        Value::String(s) => html! { (s) },
        other => html! { (other.to_string()) },
    }
}

fn readable(key: &str) -> String {
    let mut out = String::new();
    for (idx, ch) in key.chars().enumerate() {
        if ch.is_uppercase() && idx > 0 {
            out.push(' ');
            out.extend(ch.to_lowercase());
        } else if idx == 0 {
            out.extend(ch.to_uppercase());
        } else {
            out.push(ch);
        }
    }
    out
}

/// The certificate as a readable document: issuer, type, dates, and the subject.
fn render_document(lang: Lang, doc: &Value) -> Markup {
    html! {
        section.card.document aria-label=(t(lang, CertKey::document)) {
            h2 { (t(lang, CertKey::document)) }
            dl.doc {
                dt { "Id" } dd { (doc.get("id").and_then(Value::as_str).unwrap_or("")) }
                dt { (t(lang, CertKey::issuer)) }
                dd {
                    (doc.pointer("/issuer/name").and_then(Value::as_str).unwrap_or(""))
                    " (" (doc.pointer("/issuer/country").and_then(Value::as_str).unwrap_or("")) ")"
                }
                dt { (t(lang, CertKey::issued)) } dd { (doc.get("validFrom").and_then(Value::as_str).unwrap_or("")) }
            }
            @if let Some(subject) = doc.get("credentialSubject") { (render_value(subject)) }
        }
    }
}

fn render_report(lang: Lang, report: &VerificationReport) -> Markup {
    let valid = report.is_valid();
    html! {
        div #verdict class=(if valid { "ok verdict" } else { "error verdict" }) role="alert" {
            strong { (t(lang, if valid { CertKey::verdict_valid } else { CertKey::verdict_invalid })) }
        }
        ul.checks {
            @for check in &report.checks {
                @let (mark, word) = match check.outcome {
                    caravan_docsign::verify::Outcome::Passed => ("✔", t(lang, CertKey::check_passed)),
                    caravan_docsign::verify::Outcome::Failed => ("✘", t(lang, CertKey::check_failed)),
                    caravan_docsign::verify::Outcome::NotChecked => ("–", t(lang, CertKey::check_skipped)),
                };
                li data-check=(check.name.as_str()) {
                    span aria-hidden="true" { (mark) " " }
                    strong { (check_label(lang, check.name)) } ": " (word) " — " (check.detail)
                }
            }
        }
    }
}

/// The verdict on another system's document (OpenAttestation, SPS XML, UNTP) from
/// `caravan-interop`: each check valid, invalid with its reason, or not checked offline with why.
fn render_verdict(lang: Lang, verdict: &caravan_interop::verdict::Verdict) -> Markup {
    use caravan_interop::verdict::{Outcome, Status};
    let (class, headline) = match verdict.status() {
        Status::Valid => ("ok verdict", CertKey::verdict_valid),
        Status::Invalid => ("error verdict", CertKey::verdict_invalid),
        Status::IncompleteOffline => ("warning verdict", CertKey::verdict_not_checked),
    };
    html! {
        div #verdict class=(class) role="alert" data-status=(verdict.status().as_str()) { strong { (t(lang, headline)) } }
        p { strong { (t(lang, CertKey::document_format)) ": " } (verdict.format)
            @if let Some(id) = &verdict.document_id { " · " (id) }
            @if let Some(issuer) = &verdict.issuer { " · " (issuer) } }
        ul.checks {
            @for check in &verdict.checks {
                @let (mark, word, text) = match &check.outcome {
                    Outcome::Valid(text) => ("✔", t(lang, CertKey::check_valid), text),
                    Outcome::Invalid(text) => ("✘", t(lang, CertKey::check_invalid), text),
                    Outcome::NotChecked(text) => ("–", t(lang, CertKey::check_not_checked_offline), text),
                };
                li data-check=(check.name) {
                    span aria-hidden="true" { (mark) " " }
                    strong { (interop_check_label(lang, &check.name)) } ": " (word) " — " (explanation(lang, check, text))
                }
            }
        }
    }
}

/// The key of a fixed explanation of another format's check.
fn why_key(why: Why) -> CertKey {
    match why {
        Why::OaKeyNotDidEthr => CertKey::why_oa_key_not_did_ethr,
        Why::OaDidSignature => CertKey::why_oa_did_signature,
        Why::OaWrongSigner => CertKey::why_oa_wrong_signer,
        Why::OaDnsDidNeedsRecords => CertKey::why_oa_dns_did_needs_records,
        Why::OaDnsDidPinned => CertKey::why_oa_dns_did_pinned,
        Why::OaDnsDidNotPinned => CertKey::why_oa_dns_did_not_pinned,
        Why::OaDnsTxtNeedsRecords => CertKey::why_oa_dns_txt_needs_records,
        Why::OaDnsTxtPinned => CertKey::why_oa_dns_txt_pinned,
        Why::OaDnsTxtNotPinned => CertKey::why_oa_dns_txt_not_pinned,
        Why::OaNoRevocationMethod => CertKey::why_oa_no_revocation_method,
        Why::OaOcsp => CertKey::why_oa_ocsp,
        Why::OaOcspAt => CertKey::why_oa_ocsp_at,
        Why::OaRevocationStore => CertKey::why_oa_revocation_store,
        Why::OaRevocationStoreAt => CertKey::why_oa_revocation_store_at,
        Why::OaRevocationOther => CertKey::why_oa_revocation_other,
        Why::OaRevocationOtherAt => CertKey::why_oa_revocation_other_at,
        Why::OaIssuedOnDocumentStore => CertKey::why_oa_issued_on_document_store,
        Why::OaIssuedOnTokenRegistry => CertKey::why_oa_issued_on_token_registry,
        Why::OaRevokedOnDocumentStore => CertKey::why_oa_revoked_on_document_store,
        Why::OaDidIdentity => CertKey::why_oa_did_identity,
        Why::OaIntegrityV2 => CertKey::why_oa_integrity_v2,
        Why::OaIntegrity => CertKey::why_oa_integrity,
        Why::OaChanged => CertKey::why_oa_changed,
        Why::OaNoCredentialStatus => CertKey::why_oa_no_credential_status,
        Why::SpsWellFormed => CertKey::why_sps_well_formed,
        Why::SpsStructure => CertKey::why_sps_structure,
        Why::SpsNoSignature => CertKey::why_sps_no_signature,
        Why::UntpRead => CertKey::why_untp_read,
        Why::UntpNoSchemaApplies => CertKey::why_untp_no_schema_applies,
        Why::UntpNoSchemasLoaded => CertKey::why_untp_no_schemas_loaded,
        Why::UntpSchemaNotLoaded => CertKey::why_untp_schema_not_loaded,
        Why::UntpConforms => CertKey::why_untp_conforms,
        Why::UntpUnsignedView => CertKey::why_untp_unsigned_view,
        Why::UntpNoProof => CertKey::why_untp_no_proof,
        Why::UntpStatusList => CertKey::why_untp_status_list,
        Why::UntpStatusListUnnamed => CertKey::why_untp_status_list_unnamed,
        Why::UntpIssuerIsDidKey => CertKey::why_untp_issuer_is_did_key,
        Why::UntpIssuerProofFails => CertKey::why_untp_issuer_proof_fails,
        Why::UntpNeedsDidDocument => CertKey::why_untp_needs_did_document,
        Why::UntpNoIssuer => CertKey::why_untp_no_issuer,
        Why::UntpVcJwt => CertKey::why_untp_vc_jwt,
        Why::UntpJwsValid => CertKey::why_untp_jws_valid,
        Why::UntpKidNotGiven => CertKey::why_untp_kid_not_given,
        Why::UntpJwsAlgorithm => CertKey::why_untp_jws_algorithm,
        Why::UntpSignerNotIssuer => CertKey::why_untp_signer_not_issuer,
        Why::DiJcsValid => CertKey::why_di_jcs_valid,
        Why::DiRdfc => CertKey::why_di_rdfc,
    }
}

/// A check's explanation in the page's language: a fixed explanation translated with its
/// variable parts put in, else the verdict's own text.
fn explanation(lang: Lang, check: &caravan_interop::verdict::Check, text: &str) -> String {
    match &check.reason {
        Some(reason) => fill(t(lang, why_key(reason.why)), &reason.args),
        None => text.to_owned(),
    }
}

fn interop_check_label(lang: Lang, name: &str) -> &str {
    let key = match name {
        "integrity" => CertKey::check_integrity,
        "signature" => CertKey::check_signature,
        "identity" => CertKey::check_identity,
        "issuance" => CertKey::check_issuance,
        "revocation" => CertKey::check_revocation,
        "well-formed" => CertKey::check_well_formed,
        "structure" => CertKey::check_structure,
        "schema" => CertKey::check_schema,
        _ => return "",
    };
    t(lang, key)
}

#[derive(Debug, Deserialize)]
pub(super) struct TypeParam {
    #[serde(rename = "type")]
    pub doc_type: Option<String>,
}

/// `GET /certificates`: the register and the issue form.
async fn register(
    State(state): State<AppState>,
    PageCaller { caller, lang }: PageCaller,
    Query(params): Query<TypeParam>,
) -> Response {
    let doc_type =
        params.doc_type.as_deref().and_then(DocumentType::parse).unwrap_or(DocumentType::Origin);
    register_page(&state, lang, &caller, doc_type, "", &HashMap::new(), None).await
}

async fn register_page(
    state: &AppState,
    lang: Lang,
    caller: &Caller,
    doc_type: DocumentType,
    subject: &str,
    entered: &HashMap<String, String>,
    error: Option<&ApiError>,
) -> Response {
    let example = serde_json::to_string_pretty(&sample_subject(doc_type)).unwrap_or_default();
    let list = match super::service::certificates(state, caller).await {
        Ok(list) => list,
        Err(err) => return error_page(lang, Some(caller), &err),
    };
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let title = t(lang, CertKey::certificates);
    page(
        status,
        layout(
            lang,
            Some(caller),
            title,
            html! {
                h1 { (title) }
                p {
                    a href="/verify" { (t(lang, CertKey::verify_title)) } " · " a href="/logs" { (t(lang, CertKey::log_monitor)) }
                    @if service::is_authority_kind(caller.org.kind) && can_manage_keys(caller, &caller.org) {
                        " · " a #keys-link href={ "/organisations/" (caller.org.id) "/signing-keys" } { (t(lang, CertKey::signing_keys)) }
                    }
                }
                @if list.is_empty() {
                    p { (t(lang, CertKey::no_certificates)) }
                } @else {
                    table #certificates {
                        thead { tr {
                            th scope="col" { "Id" } th scope="col" { (t(lang, CertKey::document_type)) }
                            th scope="col" { (t(lang, CertKey::issued)) } th scope="col" { (t(lang, CertKey::status)) }
                        } }
                        tbody { @for c in &list { tr {
                            td { a href={ "/certificates/" (c.id) } { (c.id) } }
                            td { (type_label(lang, &c.doc_type)) }
                            td { (caravan_docsign::credential::format_time(c.issued_at)) }
                            td { (t(lang, if c.revoked_at.is_some() { CertKey::revoked } else { CertKey::valid })) }
                        } } }
                    }
                }
                h2 { (t(lang, CertKey::issue_certificate)) }
                @if can_issue(caller) {
                    form.card method="get" action="/certificates" {
                        label for="example-type" { (t(lang, CertKey::document_type)) }
                        select #example-type name="type" {
                            @for d in [DocumentType::Origin, DocumentType::Phyto, DocumentType::Passport] {
                                option value=(d.as_str()) selected[d == doc_type] { (type_label(lang, d.as_str())) }
                            }
                        }
                        button type="submit" { (t(lang, CertKey::choose_type)) }
                    }
                    form.card #issue-form method="post" action="/certificates" {
                        input type="hidden" name="csrf_token" value=(caller.csrf_token());
                        input type="hidden" name="type" value=(doc_type.as_str());
                        @if let Some(err) = error {
                            p.error role="alert" {
                                (err.message)
                                @if let Some(field) = &err.field { " (" (field) ")" }
                            }
                        }
                        h3 { (type_label(lang, doc_type.as_str())) }
                        p.help { (t(lang, CertKey::fields_help)) }
                        (render_fields(lang, "", doc_type.subject_fields(), Some(&sample_subject(doc_type)), entered))
                        details open[!subject.trim().is_empty()] {
                            summary { (t(lang, CertKey::or_json)) }
                            label for="subject" { (t(lang, CertKey::subject)) }
                            p.help #subject-help { (t(lang, CertKey::subject_help)) }
                            textarea #subject name="subject" rows="14" cols="80" aria-describedby="subject-help" placeholder=(example) { (subject) }
                        }
                        button type="submit" { (t(lang, CertKey::issue)) }
                    }
                } @else {
                    p { (t(lang, CertKey::not_certifier)) }
                }
            },
        ),
    )
}

/// `POST /certificates`: issue from the form (its fields, or the JSON box when filled), then
/// show the certificate.
async fn issue_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Caller,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let lang = ui_lang(&headers);
    let entered: HashMap<String, String> = pairs.into_iter().collect();
    let type_text = entered.get("type").cloned().unwrap_or_default();
    let doc_type = DocumentType::parse(&type_text).unwrap_or(DocumentType::Origin);
    let subject_text = entered.get("subject").cloned().unwrap_or_default();
    let subject = if subject_text.trim().is_empty() {
        Ok(Value::Object(subject_from_fields("", doc_type.subject_fields(), &entered)))
    } else {
        caravan_docsign::jcs::parse(subject_text.as_bytes()).map_err(|err| {
            ApiError::bad_request(
                "certs.invalid_subject",
                format!("the content is not valid JSON: {err}"),
            )
            .with_field("subject")
        })
    };
    let result = match subject {
        Ok(subject) => {
            issue(&state, &caller, IssueRequest { doc_type: type_text, subject, id: None }).await
        }
        Err(err) => Err(err),
    };
    match result {
        Ok(cert) => Redirect::to(&format!("/certificates/{}", cert.id)).into_response(),
        Err(err) if err.status == StatusCode::FORBIDDEN => error_page(lang, Some(&caller), &err),
        Err(err) => {
            register_page(&state, lang, &caller, doc_type, &subject_text, &entered, Some(&err))
                .await
        }
    }
}

/// Rows offered for each list (consignment lines, assays, claims); empty rows are ignored.
const LIST_ROWS: usize = 4;

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() { name.to_owned() } else { format!("{prefix}.{name}") }
}

/// Inputs for the subject's fields, named by their JSON path (`goods.0.hsCode`); the sample's
/// values are placeholders, what the user entered is kept.
fn render_fields(
    lang: Lang,
    prefix: &str,
    fields: &[Field],
    sample: Option<&Value>,
    entered: &HashMap<String, String>,
) -> Markup {
    html! {
        @for field in fields {
            @let path = join(prefix, field.name);
            @let example = sample.and_then(|s| s.get(field.name));
            @let id = format!("f-{}", path.replace('.', "-"));
            @let mark = if field.required { " *" } else { "" };
            @match field.kind {
                Kind::Object(sub) => fieldset {
                    legend { (readable(field.name)) (mark) " — " (field.description) }
                    (render_fields(lang, &path, sub, example, entered))
                },
                Kind::List(sub) => fieldset {
                    legend { (readable(field.name)) (mark) " — " (field.description) }
                    @for row in 0..LIST_ROWS {
                        fieldset.row {
                            legend { (t(lang, CertKey::line)) " " (row + 1) }
                            (render_fields(lang, &format!("{path}.{row}"), sub, example.and_then(|e| e.get(row)).or(example.and_then(|e| e.get(0))), entered))
                        }
                    }
                },
                Kind::TextList => {
                    label for=(id) { (readable(field.name)) (mark) " (" (t(lang, CertKey::one_per_line)) ")" }
                    p.help { (field.description) }
                    textarea id=(id) name=(path) rows="3" cols="60"
                        placeholder=(example.and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("\n")).unwrap_or_default()) {
                        (entered.get(&path).map(String::as_str).unwrap_or(""))
                    }
                },
                _ => {
                    label for=(id) { (readable(field.name)) (mark) }
                    input id=(id) name=(path)
                        type=(if matches!(field.kind, Kind::Quantity) { "number" } else { "text" })
                        step=[matches!(field.kind, Kind::Quantity).then_some("any")]
                        value=(entered.get(&path).map(String::as_str).unwrap_or(""))
                        placeholder=(example.map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)).unwrap_or_default())
                        title=(field.description);
                },
            }
        }
    }
}

/// Builds the subject from the form's fields, by the schema; empty inputs and rows are left
/// out, so the validator names what is missing.
fn subject_from_fields(
    prefix: &str,
    fields: &[Field],
    entered: &HashMap<String, String>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for field in fields {
        let path = join(prefix, field.name);
        let text = entered.get(&path).map(|v| v.trim()).filter(|v| !v.is_empty());
        let value = match field.kind {
            Kind::Object(sub) => {
                let obj = subject_from_fields(&path, sub, entered);
                (!obj.is_empty()).then_some(Value::Object(obj))
            }
            Kind::List(sub) => {
                let rows: Vec<Value> = (0..LIST_ROWS)
                    .map(|row| subject_from_fields(&format!("{path}.{row}"), sub, entered))
                    .filter(|obj| !obj.is_empty())
                    .map(Value::Object)
                    .collect();
                (!rows.is_empty()).then_some(Value::Array(rows))
            }
            Kind::TextList => text.map(|t| {
                Value::Array(
                    t.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(|l| Value::String(l.to_owned()))
                        .collect(),
                )
            }),
            // A number where one is expected; anything else stays text for the validator to name.
            Kind::Quantity => text.map(|t| {
                if let Ok(int) = t.parse::<i64>() {
                    return Value::from(int);
                }
                t.parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map_or_else(|| Value::String(t.to_owned()), Value::Number)
            }),
            _ => text.map(|t| Value::String(t.to_owned())),
        };
        if let Some(value) = value {
            out.insert(field.name.to_owned(), value);
        }
    }
    out
}

/// `GET /certificates/{id}`: the certificate as a readable document.
async fn detail(
    State(state): State<AppState>,
    PageCaller { caller, lang }: PageCaller,
    Path(id): Path<String>,
) -> Response {
    let cert = match readable_certificate(&state, &caller, &id).await {
        Ok(cert) => cert,
        Err(err) => return error_page(lang, Some(&caller), &err),
    };
    let doc: Value = serde_json::from_str(&cert.document).unwrap_or(Value::Null);
    let qr_text = match qr_payload(&cert.document) {
        Ok(text) => text,
        Err(err) => return error_page(lang, Some(&caller), &err),
    };
    // A certificate too large for any QR code still shows its text and says why there is no image.
    let qr_image = super::qr_image::render(&qr_text);
    let title = type_label(lang, &cert.doc_type);
    page(
        StatusCode::OK,
        layout(
            lang,
            Some(&caller),
            title,
            html! {
                h1 { (title) }
                p #status class=(if cert.revoked_at.is_some() { "error" } else { "ok" }) {
                    strong { (t(lang, CertKey::status)) ": " }
                    @if let Some(at) = cert.revoked_at {
                        (t(lang, CertKey::revoked)) " " (caravan_docsign::credential::format_time(at))
                        " — " (cert.revocation_reason.as_deref().unwrap_or(""))
                    } @else { (t(lang, CertKey::valid)) }
                }
                p { a #download href={ "/certificates/" (cert.id) "/download" } download { (t(lang, CertKey::download_json)) } }
                (render_document(lang, &doc))
                h2 { (t(lang, CertKey::qr_code)) }
                p.help #qr-help { (t(lang, CertKey::qr_help)) }
                @match &qr_image {
                    Ok(image) => {
                        figure #qr-code {
                            div.qr role="img" aria-label=(t(lang, CertKey::qr_image_label)) { (maud::PreEscaped(&image.svg)) }
                            figcaption {
                                (t(lang, CertKey::qr_symbol)) ": " (image.version) "-" (image.ec_level)
                                " · " a #qr-download href={ "/api/v1/certificates/" (cert.id) "/qr.svg" } download { (t(lang, CertKey::qr_download)) }
                            }
                        }
                    }
                    Err(err) => p.error role="status" { (err.message) },
                }
                label for="qr" { (t(lang, CertKey::qr_payload)) }
                textarea #qr readonly rows="4" cols="80" aria-describedby="qr-help" { (qr_text) }
                @if cert.revoked_at.is_none() && service::can_revoke(&caller, &cert) {
                    h2 { (t(lang, CertKey::revoke)) }
                    form.card method="post" action={ "/certificates/" (cert.id) "/revoke" } {
                        input type="hidden" name="csrf_token" value=(caller.csrf_token());
                        label for="reason" { (t(lang, CertKey::revoke_reason)) }
                        p.help #reason-help { (t(lang, CertKey::revoke_help)) }
                        input #reason name="reason" required maxlength="500" aria-describedby="reason-help";
                        button type="submit" { (t(lang, CertKey::revoke)) }
                    }
                }
            },
        ),
    )
}

/// `GET /certificates/{id}/download`: the JSON file.
async fn download(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<String>,
) -> Response {
    let lang = ui_lang(&headers);
    match readable_certificate(&state, &caller, &id).await {
        Ok(cert) => {
            let name: String =
                cert.id.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
            (
                [
                    (header::CONTENT_TYPE, "application/json".to_owned()),
                    (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.json\"")),
                ],
                cert.document,
            )
                .into_response()
        }
        Err(err) => error_page(lang, Some(&caller), &err),
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct RevokeForm {
    pub reason: String,
    #[serde(rename = "csrf_token")]
    pub _csrf_token: String,
}

/// `POST /certificates/{id}/revoke`.
async fn revoke_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Caller,
    Path(id): Path<String>,
    Form(form): Form<RevokeForm>,
) -> Response {
    let lang = ui_lang(&headers);
    match revoke(&state, &caller, &id, &form.reason).await {
        Ok(cert) => Redirect::to(&format!("/certificates/{}", cert.id)).into_response(),
        Err(err) => error_page(lang, Some(&caller), &err),
    }
}

fn verify_page(lang: Lang, caller: Option<&Caller>, text: &str, result: Option<Markup>) -> Markup {
    let title = t(lang, CertKey::verify_title);
    layout(
        lang,
        caller,
        title,
        html! {
            h1 { (title) }
            p.help #verify-help { (t(lang, CertKey::verify_help)) }
            form.card #verify-form method="post" action="/verify" {
                input type="hidden" name="csrf_token" value=(caller.map(Caller::csrf_token).unwrap_or(""));
                label for="file" { (t(lang, CertKey::certificate_file)) }
                input #file type="file" accept=".json,application/json,.xml,application/xml";
                label for="payload" { (t(lang, CertKey::certificate_text)) }
                textarea #payload name="payload" rows="12" cols="80" aria-describedby="verify-help" required { (text) }
                button type="submit" { (t(lang, CertKey::verify)) }
            }
            // Enhancement only: reads the chosen file into the text box.
            script { (maud::PreEscaped("document.getElementById('file').addEventListener('change',function(e){var f=e.target.files[0];if(f){f.text().then(function(t){document.getElementById('payload').value=t;});}});")) }
            @if let Some(result) = result { (result) }
        },
    )
}

/// `GET /verify`: the public verify page.
async fn verify_form(headers: HeaderMap, caller: MaybeCaller) -> Response {
    let lang = ui_lang(&headers);
    page(StatusCode::OK, verify_page(lang, caller.0.as_ref(), "", None))
}

#[derive(Debug, Deserialize)]
pub(super) struct VerifyForm {
    pub payload: String,
}

/// `POST /verify`: verdict, checks and the rendered document.
async fn verify_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: MaybeCaller,
    Form(form): Form<VerifyForm>,
) -> Response {
    let lang = ui_lang(&headers);
    // Another system's document (OpenAttestation, SPS XML, UNTP): its verdict, computed offline.
    if let Some(verdict) =
        service::verify_other_format(form.payload.as_bytes(), state.untp_schemas())
    {
        let result = render_verdict(lang, &verdict);
        return page(
            StatusCode::OK,
            verify_page(lang, caller.0.as_ref(), &form.payload, Some(result)),
        );
    }
    let report = match service::verify_presented(&state, form.payload.as_bytes()).await {
        Ok(report) => report,
        Err(err) => return error_page(lang, caller.0.as_ref(), &err),
    };
    let doc = service::certificate_bytes(form.payload.as_bytes())
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok());
    let result = html! {
        (render_report(lang, &report))
        @if let Some(doc) = doc.as_ref().filter(|d| d.is_object()) { (render_document(lang, doc)) }
    };
    page(StatusCode::OK, verify_page(lang, caller.0.as_ref(), &form.payload, Some(result)))
}

#[derive(Debug, Deserialize)]
pub(super) struct LookupParam {
    pub id: Option<String>,
}

/// `GET /logs`: checkpoints per authority with consistency checked between successive ones,
/// and a certificate inclusion look-up.
async fn logs(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: MaybeCaller,
    Query(params): Query<LookupParam>,
) -> Response {
    let lang = ui_lang(&headers);
    match logs_body(&state, lang, params.id.as_deref().map(str::trim)).await {
        Ok(body) => page(
            StatusCode::OK,
            layout(lang, caller.0.as_ref(), t(lang, CertKey::logs_title), body),
        ),
        Err(err) => error_page(lang, caller.0.as_ref(), &err),
    }
}

async fn logs_body(state: &AppState, lang: Lang, lookup: Option<&str>) -> Result<Markup, ApiError> {
    let sections = service::log_histories(state).await?;
    let found = match lookup.filter(|id| !id.is_empty()) {
        Some(id) => Some(service::certificate_inclusion(state, id).await?),
        None => None,
    };
    Ok(html! {
        h1 { (t(lang, CertKey::logs_title)) }
        p.help { (t(lang, CertKey::logs_help)) }
        form.card method="get" action="/logs" {
            label for="lookup" { (t(lang, CertKey::lookup_inclusion)) " — " (t(lang, CertKey::certificate_id)) }
            input #lookup name="id" value=(lookup.unwrap_or("")) required;
            button type="submit" { (t(lang, CertKey::look_up)) }
        }
        @if let Some(found) = found {
            @match found {
                Some((log, index, size)) => p.ok #inclusion role="status" { (t(lang, CertKey::included)) " " (log) " #" (index) " / " (size) },
                None => p.error #inclusion role="status" { (t(lang, CertKey::not_included)) },
            }
        }
        @if sections.is_empty() { p { (t(lang, CertKey::no_logs)) } }
        @for service::LogHistory { authority, checkpoints: rows } in &sections {
            section.card {
                h2 { (authority.name) " (" (authority.country) ") — " code { (authority.log_id) } }
                table.checkpoints {
                    thead { tr {
                        th scope="col" { (t(lang, CertKey::tree_size)) } th scope="col" { (t(lang, CertKey::root_hash)) }
                        th scope="col" { (t(lang, CertKey::time)) } th scope="col" { (t(lang, CertKey::status)) }
                    } }
                    tbody { @for (cp, consistency) in rows { tr {
                        td { (cp.checkpoint.size) }
                        td { code { (hex::encode(&cp.checkpoint.root[..8])) "…" } }
                        td { (caravan_docsign::credential::format_time(cp.checkpoint.timestamp)) }
                        td { @match consistency {
                            None => (t(lang, CertKey::first_checkpoint)),
                            Some(true) => span.ok { "✔ " (t(lang, CertKey::consistent)) },
                            Some(false) => span.error { "✘ " (t(lang, CertKey::inconsistent)) },
                        } }
                    } } }
                }
            }
        }
    })
}

fn key_status(
    lang: Lang,
    key: &SigningKey,
    now: time::OffsetDateTime,
) -> (&'static str, &'static str) {
    let (class, text) = if key.retired_at.is_some_and(|at| at <= now) {
        ("error", CertKey::key_retired)
    } else if key.valid_until.is_some_and(|at| at <= now) {
        ("muted", CertKey::key_rotated)
    } else if key.valid_from > now {
        ("muted", CertKey::key_not_yet)
    } else {
        ("ok", CertKey::key_active)
    };
    (class, t(lang, text))
}

fn alg_label(lang: Lang, alg: &str) -> &'static str {
    t(lang, if alg == "sm2" { CertKey::alg_sm2 } else { CertKey::alg_ed25519 })
}

/// `GET /signing-keys`: the caller's own authority's keys.
async fn own_keys(PageCaller { caller, .. }: PageCaller) -> Response {
    Redirect::to(&format!("/organisations/{}/signing-keys", caller.org.id)).into_response()
}

/// `GET /organisations/{id}/signing-keys`: an authority's keys, with the generate and retire
/// forms.
async fn keys_page(
    State(state): State<AppState>,
    PageCaller { caller, lang }: PageCaller,
    Path(org_id): Path<i64>,
) -> Response {
    keys_body(&state, lang, &caller, org_id, &HashMap::new(), None).await
}

async fn keys_body(
    state: &AppState,
    lang: Lang,
    caller: &Caller,
    org_id: i64,
    entered: &HashMap<String, Vec<String>>,
    error: Option<&ApiError>,
) -> Response {
    let (org, keys) = match service::authority_keys(state, caller, org_id).await {
        Ok(found) => found,
        Err(err) => return error_page(lang, Some(caller), &err),
    };
    let now = (state.clock)();
    let status = error.map_or(StatusCode::OK, |err| err.status);
    let title = t(lang, CertKey::signing_keys);
    let chosen_alg = entered.get("alg").and_then(|v| v.first()).map_or("ed25519", String::as_str);
    let chosen_types = entered.get("document_types");
    let all_types = [DocumentType::Origin, DocumentType::Phyto, DocumentType::Passport];
    page(
        status,
        layout(
            lang,
            Some(caller),
            title,
            html! {
                h1 { (title) " — " (org.name) }
                p.help { (t(lang, CertKey::keys_help)) }
                @if keys.is_empty() {
                    p { (t(lang, CertKey::no_keys)) }
                } @else {
                    table #keys {
                        thead { tr {
                            th scope="col" { (t(lang, CertKey::key_id)) } th scope="col" { (t(lang, CertKey::algorithm)) }
                            th scope="col" { (t(lang, CertKey::document_types)) } th scope="col" { (t(lang, CertKey::validity)) }
                            th scope="col" { (t(lang, CertKey::status)) } th scope="col" { (t(lang, CertKey::actions)) }
                        } }
                        tbody { @for key in &keys {
                            @let (class, word) = key_status(lang, key, now);
                            tr data-kid=(key.kid) {
                                td { code { (key.kid) } details { summary { (t(lang, CertKey::public_key)) } code.break { (key.public_key) } } }
                                td { (alg_label(lang, &key.alg)) }
                                td { (key.document_types.iter().map(|d| type_label(lang, d)).collect::<Vec<_>>().join(", ")) }
                                td {
                                    (caravan_docsign::credential::format_time(key.valid_from)) " – "
                                    @if let Some(end) = key.retired_at.into_iter().chain(key.valid_until).min() { (caravan_docsign::credential::format_time(end)) }
                                }
                                td { span class=(class) { (word) } }
                                td {
                                    @if key.retired_at.is_none() {
                                        form method="post" action={ "/signing-keys/" (key.id) "/retire" } {
                                            input type="hidden" name="csrf_token" value=(caller.csrf_token());
                                            button type="submit" aria-label={ (t(lang, CertKey::retire_key)) " " (key.kid) } { (t(lang, CertKey::retire_key)) }
                                        }
                                    }
                                }
                            }
                        } }
                    }
                }
                h2 { (t(lang, CertKey::generate_key)) }
                form.card #key-form method="post" action={ "/organisations/" (org.id) "/signing-keys" } {
                    input type="hidden" name="csrf_token" value=(caller.csrf_token());
                    @if let Some(err) = error {
                        p.error role="alert" {
                            (err.message)
                            @if let Some(field) = &err.field { " (" (field) ")" }
                        }
                    }
                    label for="alg" { (t(lang, CertKey::algorithm)) }
                    select #alg name="alg" {
                        @for alg in ["ed25519", "sm2"] {
                            option value=(alg) selected[alg == chosen_alg] { (alg_label(lang, alg)) }
                        }
                    }
                    fieldset {
                        legend { (t(lang, CertKey::document_types)) }
                        @for d in all_types {
                            @let id = format!("type-{}", d.as_str());
                            @let checked = chosen_types.is_none_or(|types| types.iter().any(|t| t == d.as_str()));
                            div.check {
                                input type="checkbox" id=(id) name="document_types" value=(d.as_str()) checked[checked];
                                label for=(id) { (type_label(lang, d.as_str())) }
                            }
                        }
                    }
                    div.check {
                        input type="checkbox" #rotate name="rotate" value="true" checked[entered.contains_key("rotate")];
                        label for="rotate" { (t(lang, CertKey::rotate)) }
                    }
                    button type="submit" { (t(lang, CertKey::generate_key)) }
                }
            },
        ),
    )
}

/// `POST /organisations/{id}/signing-keys`: generate a key from the form.
async fn generate_key_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Caller,
    Path(org_id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let lang = ui_lang(&headers);
    let mut entered: HashMap<String, Vec<String>> = HashMap::new();
    for (name, value) in pairs {
        entered.entry(name).or_default().push(value);
    }
    let result = async {
        let request = NewKeyRequest {
            alg: entered.get("alg").and_then(|v| v.first()).cloned(),
            // No box ticked is an empty list, which the check names; an absent field is not "all".
            document_types: Some(entered.get("document_types").cloned().unwrap_or_default()),
            rotate: entered.get("rotate").is_some_and(|v| v.iter().any(|r| r == "true")),
        };
        service::add_key(&state, &caller, org_id, request).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/organisations/{org_id}/signing-keys")).into_response(),
        Err(err)
            if matches!(err.status, StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY) =>
        {
            keys_body(&state, lang, &caller, org_id, &entered, Some(&err)).await
        }
        Err(err) => error_page(lang, Some(&caller), &err),
    }
}

/// `POST /signing-keys/{id}/retire`.
async fn retire_key_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    caller: Caller,
    Path(key_id): Path<i64>,
) -> Response {
    let lang = ui_lang(&headers);
    match service::retire(&state, &caller, key_id).await {
        Ok(key) => {
            Redirect::to(&format!("/organisations/{}/signing-keys", key.org_id)).into_response()
        }
        Err(err) => error_page(lang, Some(&caller), &err),
    }
}

/// The pages' routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/certificates", get(register).post(issue_form))
        .route("/certificates/{id}", get(detail))
        .route("/certificates/{id}/download", get(download))
        .route("/certificates/{id}/revoke", post(revoke_form))
        .route("/signing-keys", get(own_keys))
        .route("/organisations/{id}/signing-keys", get(keys_page).post(generate_key_form))
        .route("/signing-keys/{id}/retire", post(retire_key_form))
        .route("/verify", get(verify_form).post(verify_submit))
        .route("/logs", get(logs))
}

#[cfg(test)]
mod tests {
    use caravan_web::i18n::Text as _;

    use super::*;

    /// The English of every fixed explanation is the domain crate's own text, and each
    /// translation takes the same variable parts.
    #[test]
    fn every_fixed_explanation_is_translated_with_its_variable_parts() {
        let placeholders = |text: &str| {
            let mut found: Vec<usize> =
                (0..10).filter(|i| text.contains(&format!("{{{i}}}"))).collect();
            found.sort_unstable();
            found
        };
        for why in Why::ALL {
            let [en, ru, zh] = why_key(*why).table();
            assert_eq!(en, why.english(), "{}", why.code());
            assert_ne!(ru, en, "{}", why.code());
            assert_ne!(zh, en, "{}", why.code());
            let wanted = placeholders(en);
            assert_eq!(placeholders(ru), wanted, "{}", why.code());
            assert_eq!(placeholders(zh), wanted, "{}", why.code());
        }
    }
}
