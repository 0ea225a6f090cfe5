//! Interface strings in English, Russian and Chinese, with fallback to English.
//!
//! Every string of the web UI is a [`Key`]; a missing translation (an empty string in the
//! table) falls back to English, and a test checks that none is missing today.

use caravan_refdata::Lang;

/// A string of the interface in English, Russian and Chinese (an empty string: no translation).
pub trait Text: Copy {
    /// The three forms, in the order en, ru, zh.
    fn table(self) -> [&'static str; 3];
}

/// Declares a table of interface strings: an enum of keys implementing [`Text`] with an `ALL`
/// list for the completeness test. Feature modules declare their own tables with it.
#[macro_export]
macro_rules! strings {
    ($name:ident { $($key:ident => [$en:expr, $ru:expr, $zh:expr]),* $(,)? }) => {
        /// A string of the interface.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(non_camel_case_types, reason = "keys read like the snake_case names in templates")]
        pub enum $name { $($key),* }

        impl $name {
            /// Every key, for the completeness test.
            pub const ALL: &'static [$name] = &[$($name::$key),*];
        }

        impl $crate::i18n::Text for $name {
            fn table(self) -> [&'static str; 3] {
                match self { $($name::$key => [$en, $ru, $zh]),* }
            }
        }
    };
}

strings! { Key {
    app_name => ["Caravan", "Караван", "驼队"],
    tagline => [
        "China–Central Asia smooth-trade platform",
        "Платформа упрощения торговли Китай — Центральная Азия",
        "中国—中亚贸易畅通平台"
    ],
    skip_to_content => ["Skip to content", "Перейти к содержанию", "跳到正文"],
    language => ["Language", "Язык", "语言"],
    login => ["Log in", "Войти", "登录"],
    logout => ["Log out", "Выйти", "退出"],
    username => ["Username", "Имя пользователя", "用户名"],
    password => ["Password", "Пароль", "密码"],
    login_failed => [
        "Wrong username or password. Check both and try again.",
        "Неверное имя пользователя или пароль. Проверьте и попробуйте снова.",
        "用户名或密码错误。请检查后重试。"
    ],
    login_rate_limited => [
        "Too many failed attempts. Try again in {seconds} s.",
        "Слишком много неудачных попыток. Попробуйте снова через {seconds} с.",
        "失败次数过多。请等待{seconds}秒后重试。"
    ],
    signed_in_as => ["Signed in as", "Вы вошли как", "当前用户"],
    deactivate => ["Deactivate", "Отключить", "停用"],
    reactivate => ["Reactivate", "Включить снова", "重新启用"],
    change_password => ["Change password", "Сменить пароль", "修改密码"],
    current_password => ["Current password", "Текущий пароль", "当前密码"],
    new_password => [
        "New password (at least 12 characters)",
        "Новый пароль (не меньше 12 символов)",
        "新密码（至少12个字符）"
    ],
    password_changed => [
        "Your password was changed.",
        "Пароль изменён.",
        "密码已修改。"
    ],
    password_wrong_current => [
        "The current password is not right. Type the password you logged in with.",
        "Текущий пароль неверен. Введите пароль, с которым вы вошли.",
        "当前密码不正确。请输入您登录时使用的密码。"
    ],
    password_too_weak => [
        "The new password must be 12 to 1024 characters long.",
        "Новый пароль должен содержать от 12 до 1024 символов.",
        "新密码长度须为12至1024个字符。"
    ],
    password_same => [
        "The new password must differ from the current one.",
        "Новый пароль должен отличаться от текущего.",
        "新密码不能与当前密码相同。"
    ],
    home => ["Home", "Главная", "首页"],
    welcome => ["Welcome", "Добро пожаловать", "欢迎"],
    home_intro => [
        "Search the Harmonized System, manage organisations and users, and create API tokens.",
        "Ищите в Гармонизированной системе, управляйте организациями и пользователями, создавайте API-токены.",
        "检索协调制度目录，管理机构和用户，创建API令牌。"
    ],
    hs_search => ["HS search", "Поиск по ТН ВЭД / ГС", "HS编码检索"],
    search => ["Search", "Найти", "搜索"],
    search_hint => [
        "Words in English or Russian, or a code such as 7403.11",
        "Слова на русском или английском, или код, например 7403.11",
        "输入中文、英文或俄文关键词，或编码如 7403.11"
    ],
    no_results => [
        "Nothing found. Try fewer or more general words, or the first digits of a code.",
        "Ничего не найдено. Попробуйте меньше слов, более общие слова или первые цифры кода.",
        "未找到结果。请尝试更少或更通用的词，或输入编码的前几位。"
    ],
    results => ["Results", "Результаты", "结果"],
    code => ["Code", "Код", "编码"],
    description => ["Description", "Описание", "描述"],
    path => ["Path", "Путь", "层级"],
    level => ["Level", "Уровень", "层级深度"],
    chapter => ["Chapter", "Группа", "章"],
    heading => ["Heading", "Товарная позиция", "品目"],
    subheading => ["Subheading", "Субпозиция", "子目"],
    children => ["Contents", "Состав", "下级编码"],
    hs2017_links => ["HS 2017 correspondence", "Соответствие ГС 2017", "HS 2017 对应关系"],
    national_lines => ["EAEU TN VED lines", "Подсубпозиции ТН ВЭД ЕАЭС", "欧亚经济联盟商品编码"],
    section => ["Section", "Раздел", "类"],
    organisations => ["Organisations", "Организации", "机构"],
    users => ["Users", "Пользователи", "用户"],
    api_tokens => ["API tokens", "API-токены", "API令牌"],
    audit_log => ["Audit log", "Журнал аудита", "审计日志"],
    name => ["Name", "Название", "名称"],
    kind => ["Kind", "Тип", "类型"],
    country => ["Country", "Страна", "国家"],
    role => ["Role", "Роль", "角色"],
    organisation => ["Organisation", "Организация", "机构"],
    display_name => ["Full name", "Полное имя", "姓名"],
    active => ["Active", "Активен", "启用"],
    create => ["Create", "Создать", "创建"],
    created => ["Created", "Создано", "已创建"],
    revoke => ["Revoke", "Отозвать", "撤销"],
    revoked => ["Revoked", "Отозван", "已撤销"],
    new_organisation => ["New organisation", "Новая организация", "新建机构"],
    new_user => ["New user", "Новый пользователь", "新建用户"],
    new_token => ["New API token", "Новый API-токен", "新建API令牌"],
    token_shown_once => [
        "Copy this token now: it is shown only once.",
        "Скопируйте токен сейчас: он показывается только один раз.",
        "请立即复制此令牌：它只显示一次。"
    ],
    initial_password => ["Initial password", "Начальный пароль", "初始密码"],
    forbidden => [
        "You do not have access to this page. Ask an administrator of your organisation.",
        "У вас нет доступа к этой странице. Обратитесь к администратору вашей организации.",
        "您无权访问此页面。请联系您所在机构的管理员。"
    ],
    not_found => ["Not found", "Не найдено", "未找到"],
    error => ["Error", "Ошибка", "错误"],
    saved => ["Saved.", "Сохранено.", "已保存。"],
    when => ["When", "Когда", "时间"],
    who => ["Who", "Кто", "操作人"],
    action => ["Action", "Действие", "操作"],
    target => ["Target", "Объект", "对象"],
    chain_ok => ["The audit chain is intact.", "Цепочка аудита не нарушена.", "审计链完整。"],
    chain_broken => ["The audit chain is broken at entry", "Цепочка аудита нарушена на записи", "审计链在此条目处断裂"],
    reference_data => ["Reference data", "Справочники", "参考数据"],
    countries => ["Countries", "Страны", "国家"],
    currencies => ["Currencies", "Валюты", "货币"],
    units => ["Units", "Единицы измерения", "计量单位"],
    minor_units => ["Minor units", "Знаков после запятой", "小数位"],
    role_trader => ["Trader", "Участник ВЭД", "贸易商"],
    role_broker => ["Customs broker", "Таможенный представитель", "报关行"],
    role_certifier => ["Certifier", "Сертифицирующий орган", "签证机构人员"],
    role_customs_officer => ["Customs officer", "Таможенный инспектор", "海关关员"],
    role_analyst => ["Analyst", "Аналитик", "分析员"],
    role_admin => ["Administrator", "Администратор", "管理员"],
    role_agency_officer => ["Agency officer", "Сотрудник ведомства", "口岸机构官员"],
    role_applicant => ["Applicant", "Заявитель", "申请人"],
    role_reviewer => ["Reviewer", "Рецензент", "评审专家"],
    role_programme_admin => ["Programme administrator", "Администратор программы", "项目管理员"],
    kind_customs_administration => ["Customs administration", "Таможенная администрация", "海关"],
    kind_certifying_body => ["Certifying body", "Уполномоченный орган по сертификации", "签证机构"],
    kind_trading_company => ["Trading company", "Участник ВЭД (компания)", "贸易企业"],
    kind_customs_broker => ["Customs broker", "Таможенный представитель", "报关企业"],
    kind_plant_protection_service => ["Plant protection service", "Служба карантина и защиты растений", "植物检疫机构"],
    kind_poverty_reduction_center => ["Poverty reduction center", "Центр по сокращению бедности", "减贫合作中心"],
    kind_education_exchange_center => ["Education exchange center", "Центр образовательных обменов", "教育交流合作中心"],
    kind_desertification_control_center => ["Desertification control center", "Центр по борьбе с опустыниванием", "荒漠化防治合作中心"],
    kind_platform_operator => ["Platform operator", "Оператор платформы", "平台运营方"],
    kind_nominating_body => ["Nominating body", "Направляющая организация", "推荐机构"],
    kind_university => ["University", "Университет", "大学"],
    nav_certificates => ["Certificates", "Сертификаты", "证书"],
    nav_declarations => ["Declarations", "Декларации", "报关单"],
    nav_tariff => ["Duty calculator", "Расчёт пошлин", "关税计算"],
    nav_origin => ["Origin", "Происхождение", "原产地"],
    nav_trade => ["Trade analytics", "Анализ торговли", "贸易分析"],
    nav_poverty => ["Poverty", "Бедность", "减贫"],
    nav_land => ["Land degradation", "Деградация земель", "土地退化"],
    nav_scholarships => ["Scholarships", "Стипендии", "奖学金"],
    nav_verify => ["Verify a certificate", "Проверить сертификат", "验证证书"],
    nav_logs => ["Transparency logs", "Журналы прозрачности", "透明日志"],
    main_menu => ["Main menu", "Главное меню", "主菜单"],
    public_home_intro => [
        "Caravan is the smooth-trade platform of the China–Central Asia cooperation mechanism. Without an account you can check a certificate, calculate the duty on a tariff line, find the rule of origin for a product and audit the certificate logs.",
        "«Караван» — платформа упрощения торговли механизма сотрудничества «Китай — Центральная Азия». Без учётной записи можно проверить сертификат, рассчитать пошлину по товарной позиции, найти правило происхождения товара и проверить журналы сертификатов.",
        "“商队”是中国—中亚合作机制的贸易畅通平台。无需账户即可验证证书、按税目计算关税、查询产品的原产地规则并审计证书日志。"
    ],
    public_home_login => [
        "Traders, customs officers, certifying bodies, analysts and the centres' staff sign in to do their work.",
        "Участники ВЭД, таможенники, органы сертификации, аналитики и сотрудники центров входят в систему для работы.",
        "贸易商、海关官员、签证机构、分析人员和各中心工作人员请登录后办理业务。"
    ],
    your_pages => ["Your pages", "Ваши разделы", "您的功能"],
    page_not_found_at => [
        "There is no page at this address. Check the address, or start again from the home page:",
        "По этому адресу страницы нет. Проверьте адрес или начните с главной страницы:",
        "此地址没有页面。请检查地址，或从首页重新开始："
    ],
} }

/// The string for `key` in `lang`, or in English where the translation is missing.
pub fn t(lang: Lang, key: impl Text) -> &'static str {
    let [en, ru, zh] = key.table();
    let translated = match lang {
        Lang::En => en,
        Lang::Ru => ru,
        Lang::Zh => zh,
    };
    if translated.is_empty() { en } else { translated }
}

/// The label of a role.
pub fn role_label(lang: Lang, role: caravan_store::Role) -> &'static str {
    use caravan_store::Role;
    let key = match role {
        Role::Trader => Key::role_trader,
        Role::Broker => Key::role_broker,
        Role::Certifier => Key::role_certifier,
        Role::CustomsOfficer => Key::role_customs_officer,
        Role::Analyst => Key::role_analyst,
        Role::Admin => Key::role_admin,
        Role::AgencyOfficer => Key::role_agency_officer,
        Role::Applicant => Key::role_applicant,
        Role::Reviewer => Key::role_reviewer,
        Role::ProgrammeAdmin => Key::role_programme_admin,
    };
    t(lang, key)
}

/// The label of an organisation's kind.
pub fn kind_label(lang: Lang, kind: caravan_store::OrgKind) -> &'static str {
    use caravan_store::OrgKind;
    let key = match kind {
        OrgKind::CustomsAdministration => Key::kind_customs_administration,
        OrgKind::CertifyingBody => Key::kind_certifying_body,
        OrgKind::TradingCompany => Key::kind_trading_company,
        OrgKind::CustomsBroker => Key::kind_customs_broker,
        OrgKind::PlantProtectionService => Key::kind_plant_protection_service,
        OrgKind::PovertyReductionCenter => Key::kind_poverty_reduction_center,
        OrgKind::EducationExchangeCenter => Key::kind_education_exchange_center,
        OrgKind::DesertificationControlCenter => Key::kind_desertification_control_center,
        OrgKind::PlatformOperator => Key::kind_platform_operator,
        OrgKind::NominatingBody => Key::kind_nominating_body,
        OrgKind::University => Key::kind_university,
    };
    t(lang, key)
}

/// Whether `key` has a translation of its own in `lang` (used by the completeness test).
pub fn has_translation(lang: Lang, key: impl Text) -> bool {
    let [en, ru, zh] = key.table();
    match lang {
        Lang::En => !en.is_empty(),
        Lang::Ru => !ru.is_empty(),
        Lang::Zh => !zh.is_empty(),
    }
}
