//! Reference data of Caravan and the multilingual HS search index.
//!
//! This crate turns the text of the shipped reference files (HS 2022 nomenclature and sections,
//! the HS 2022 → HS 2017 correlation, the EAEU TN VED Russian names, ISO 3166 with en/ru/zh
//! names, ISO 4217 with minor units, UN/ECE Recommendation 20 units) into checked, indexed
//! values. It parses `&str` and returns values: reading the files is the caller's job.

mod search;

use std::collections::HashMap;

/// Hash map with foldhash's fast fixed hasher, for indexes of the shipped data: clients look
/// keys up but never insert them, so hash flooding is not a concern.
pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

use caravan_types::{CountryCode, CurrencyCode, HsCode};
use serde::Serialize;

pub use search::{Lang, SearchIndex, SearchQuery};

/// One ranked search result.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchHit {
    pub code: HsCode,
    pub level: u8,
    pub score: f32,
    pub description: String,
    /// From the chapter down to the hit itself.
    pub path: Vec<PathStep>,
}

/// One step of a code path.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PathStep {
    pub code: HsCode,
    pub description: String,
}

/// The text of each reference file, as shipped under `data/reference/`.
#[derive(Debug, Clone, Copy)]
pub struct Sources<'a> {
    /// `hs2022-nomenclature/harmonized-system.csv`: `section,hscode,description,parent,level`.
    pub hs2022: &'a str,
    /// `hs2022-nomenclature/sections.csv`: `section,name`.
    pub sections: &'a str,
    /// `hs-correspondence/hs2022_hs2017_correlation.csv`: `hs2022,hs2017,relationship`.
    pub hs2017_correlation: &'a str,
    /// `tnved-eaeu-ru/tnved_eaeu_ru.csv`: `code,level,indent,name_ru,valid_from,section`.
    pub tnved_ru: &'a str,
    /// `iso-codes/country-codes.csv` (datahub country-codes, 56 columns).
    pub countries: &'a str,
    /// `iso-codes/iso4217_list_one.csv`: `country_name,currency_name,alpha_code,numeric_code,minor_units,is_fund`.
    pub currencies: &'a str,
    /// `unece-rec20/rec20_all_codes.csv`: `status,common_code,name,description,level_category,symbol,conversion_factor`.
    pub units: &'a str,
    /// `search/hs_synonyms.csv`: `code,terms` — trade names the HS descriptions lack.
    pub synonyms: &'a str,
    /// `tnved-eaeu-ru/ett_lines_not_listed.csv`: `code,heading_listed` — the lines of the EAEU
    /// Common Customs Tariff 2026 that `tnved_ru` lacks.
    pub ett_lines_not_listed: &'a str,
}

/// Paths of the reference files under `data/reference/`, in the order [`Sources::from_texts`] takes them.
pub const SOURCE_FILES: [&str; 9] = [
    "hs2022-nomenclature/harmonized-system.csv",
    "hs2022-nomenclature/sections.csv",
    "hs-correspondence/hs2022_hs2017_correlation.csv",
    "tnved-eaeu-ru/tnved_eaeu_ru.csv",
    "iso-codes/country-codes.csv",
    "iso-codes/iso4217_list_one.csv",
    "unece-rec20/rec20_all_codes.csv",
    "search/hs_synonyms.csv",
    "tnved-eaeu-ru/ett_lines_not_listed.csv",
];

impl<'a> Sources<'a> {
    /// The sources from the texts of [`SOURCE_FILES`], in that order.
    pub fn from_texts(texts: &'a [String; 9]) -> Sources<'a> {
        Sources {
            hs2022: &texts[0],
            sections: &texts[1],
            hs2017_correlation: &texts[2],
            tnved_ru: &texts[3],
            countries: &texts[4],
            currencies: &texts[5],
            units: &texts[6],
            synonyms: &texts[7],
            ett_lines_not_listed: &texts[8],
        }
    }
}

/// A reference file that could not be read, with the file, the row and the reason.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{file}: row {row}: {reason}")]
    Row { file: &'static str, row: u64, reason: String },
    #[error("{file}: {reason}")]
    File { file: &'static str, reason: String },
}

/// One HS 2022 entry: a chapter (2 digits), heading (4) or subheading (6).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HsEntry {
    pub code: HsCode,
    /// 2, 4 or 6.
    pub level: u8,
    /// Roman numeral of the HS section (I–XXI).
    pub section: String,
    pub description_en: String,
    /// Russian name from the EAEU TN VED where one exists for this code.
    pub description_ru: Option<String>,
    /// Chinese name; no open source has them yet, so always `None` for now.
    pub description_zh: Option<String>,
    pub parent: Option<HsCode>,
    pub children: Vec<HsCode>,
    /// HS 2017 codes this HS 2022 subheading corresponds to, with the relationship (`1:1`, `n:1`, `1:n`, `n:n`).
    pub hs2017: Vec<Hs2017Link>,
    /// EAEU TN VED ten-digit national lines under this subheading (Russian names).
    pub national_lines: Vec<NationalLine>,
}

/// A correspondence from an HS 2022 subheading to an HS 2017 one.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Hs2017Link {
    pub hs2017: HsCode,
    pub relationship: String,
}

/// A national tariff line under an HS subheading.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NationalLine {
    pub code: HsCode,
    /// The line's Russian name; for a line the shipped TN VED list lacks (see `name_source`),
    /// the HS 2022 subheading's description, marked `[нет в перечне ТН ВЭД; текст субпозиции ГС 2022]`.
    pub name_ru: String,
    pub valid_from: String,
    /// Where `name_ru` comes from.
    pub name_source: NameSource,
}

/// Where a national line's name comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NameSource {
    /// The line's own name in the shipped TN VED list.
    TnVed,
    /// The line is in the EAEU Common Customs Tariff 2026 but not in the shipped TN VED list
    /// (which is older, and omits the headings that are not subdivided): no name of its own
    /// exists in the shipped data, so the HS 2022 subheading's description stands in.
    Hs2022Subheading,
}

/// The mark that opens the name of a line without a TN VED name of its own.
pub const NO_TNVED_NAME: &str = "[нет в перечне ТН ВЭД; текст субпозиции ГС 2022]";

/// An HS section.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Section {
    pub section: String,
    pub name_en: String,
    pub name_ru: Option<String>,
}

/// A country (ISO 3166-1) with names in English, Russian and Chinese.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Country {
    pub alpha2: CountryCode,
    pub alpha3: String,
    pub numeric: String,
    pub name_en: String,
    pub name_ru: String,
    pub name_zh: String,
    pub currencies: Vec<String>,
}

/// A currency (ISO 4217 List One) with its minor units.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Currency {
    pub code: CurrencyCode,
    pub numeric: String,
    pub name: String,
    /// Decimal places of the minor unit; `None` where ISO 4217 says "N.A." (e.g. gold).
    pub minor_units: Option<u32>,
    pub is_fund: bool,
}

/// A unit of measure from UN/ECE Recommendation 20.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Unit {
    pub code: String,
    pub name: String,
    pub symbol: String,
    pub level_category: String,
    pub conversion_factor: String,
    /// `true` when Rec 20 marks the code deprecated (status `X` or `D`).
    pub deprecated: bool,
}

/// Everything loaded, indexed for look-up.
#[derive(Debug)]
pub struct ReferenceData {
    hs: Vec<HsEntry>,
    hs_index: FastMap<HsCode, usize>,
    pub sections: Vec<Section>,
    pub countries: Vec<Country>,
    pub currencies: Vec<Currency>,
    pub units: Vec<Unit>,
    country_index: HashMap<CountryCode, usize>,
    currency_index: HashMap<CurrencyCode, usize>,
    unit_index: HashMap<String, usize>,
    pub search: SearchIndex,
}

impl ReferenceData {
    /// Parses every source and builds the indexes and the search index.
    ///
    /// # Errors
    /// [`LoadError`] naming the file and row of the first malformed record.
    pub fn load(sources: &Sources<'_>) -> Result<ReferenceData, LoadError> {
        let sections = parse_sections(sources.sections)?;
        let mut hs = parse_hs(sources.hs2022)?;
        let hs_index: FastMap<HsCode, usize> =
            hs.iter().enumerate().map(|(idx, entry)| (entry.code, idx)).collect();
        link_children(&mut hs, &hs_index);
        attach_correlation(&mut hs, &hs_index, sources.hs2017_correlation)?;
        let section_ru = attach_russian(&mut hs, &hs_index, sources.tnved_ru)?;
        attach_ett_lines(&mut hs, &hs_index, sources.ett_lines_not_listed)?;
        let sections = sections
            .into_iter()
            .map(|(section, name_en)| {
                let name_ru = section_ru.get(&section).cloned();
                Section { section, name_en, name_ru }
            })
            .collect();
        let countries = parse_countries(sources.countries)?;
        let currencies = parse_currencies(sources.currencies)?;
        let units = parse_units(sources.units)?;
        let synonyms = parse_synonyms(sources.synonyms, &hs_index)?;
        let search = SearchIndex::build(&hs, &synonyms);
        Ok(ReferenceData {
            country_index: countries.iter().enumerate().map(|(i, c)| (c.alpha2, i)).collect(),
            currency_index: currencies.iter().enumerate().map(|(i, c)| (c.code, i)).collect(),
            unit_index: units.iter().enumerate().map(|(i, u)| (u.code.clone(), i)).collect(),
            hs,
            hs_index,
            sections,
            countries,
            currencies,
            units,
            search,
        })
    }

    /// All HS entries in code order.
    pub fn hs_entries(&self) -> &[HsEntry] {
        &self.hs
    }

    /// The HS entry of a chapter, heading or subheading.
    pub fn hs(&self, code: &HsCode) -> Option<&HsEntry> {
        self.hs_index.get(code).map(|&idx| &self.hs[idx])
    }

    /// The entry and its ancestors, from the chapter down to the entry itself.
    pub fn hs_path(&self, code: &HsCode) -> Vec<&HsEntry> {
        let mut path = Vec::new();
        let mut cursor = self.hs(code);
        while let Some(entry) = cursor {
            path.push(entry);
            cursor = entry.parent.as_ref().and_then(|parent| self.hs(parent));
        }
        path.reverse();
        path
    }

    /// Whether `code` is a known HS 2022 code, or a national line whose HS 6 subheading is known.
    pub fn is_known_hs(&self, code: &HsCode) -> bool {
        self.hs(&code.truncate(6)).is_some()
    }

    pub fn country(&self, code: &CountryCode) -> Option<&Country> {
        self.country_index.get(code).map(|&idx| &self.countries[idx])
    }

    pub fn currency(&self, code: &CurrencyCode) -> Option<&Currency> {
        self.currency_index.get(code).map(|&idx| &self.currencies[idx])
    }

    pub fn unit(&self, code: &str) -> Option<&Unit> {
        self.unit_index.get(code).map(|&idx| &self.units[idx])
    }

    /// Ranked search over HS entries, each hit with its description in the asked language
    /// (English where no translation exists) and its path from the chapter down.
    pub fn hs_search(&self, query: &SearchQuery<'_>) -> Vec<SearchHit> {
        self.search
            .search(&self.hs, query)
            .into_iter()
            .map(|(idx, score)| {
                let entry = &self.hs[idx];
                SearchHit {
                    code: entry.code,
                    level: entry.level,
                    score,
                    description: entry.description(query.lang).to_owned(),
                    path: self
                        .hs_path(&entry.code)
                        .into_iter()
                        .map(|step| PathStep {
                            code: step.code,
                            description: step.description(query.lang).to_owned(),
                        })
                        .collect(),
                }
            })
            .collect()
    }
}

impl HsEntry {
    /// The description in `lang`, falling back to English where no translation exists.
    pub fn description(&self, lang: Lang) -> &str {
        let translated = match lang {
            Lang::En => None,
            Lang::Ru => self.description_ru.as_deref(),
            Lang::Zh => self.description_zh.as_deref(),
        };
        translated.unwrap_or(&self.description_en)
    }
}

fn reader(text: &str) -> csv::Reader<&[u8]> {
    // Some files open with a UTF-8 byte-order mark; csv would take it as part of the first header.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes())
}

fn records(
    file: &'static str,
    text: &str,
    columns: &[&str],
) -> Result<Vec<(u64, Vec<String>)>, LoadError> {
    let mut rdr = reader(text);
    let headers =
        rdr.headers().map_err(|e| LoadError::File { file, reason: e.to_string() })?.clone();
    let positions: Vec<usize> = columns
        .iter()
        .map(|col| {
            headers
                .iter()
                .position(|h| h == *col)
                .ok_or_else(|| LoadError::File { file, reason: format!("missing column {col:?}") })
        })
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for (row_idx, record) in rdr.records().enumerate() {
        let row = row_idx as u64 + 2;
        let record = record.map_err(|e| LoadError::Row { file, row, reason: e.to_string() })?;
        out.push((
            row,
            positions.iter().map(|&p| record.get(p).unwrap_or("").to_owned()).collect(),
        ));
    }
    Ok(out)
}

fn parse_code(file: &'static str, row: u64, text: &str) -> Result<HsCode, LoadError> {
    HsCode::parse(text).map_err(|e| LoadError::Row { file, row, reason: e.to_string() })
}

/// Synonyms per entry position.
fn parse_synonyms(
    text: &str,
    index: &FastMap<HsCode, usize>,
) -> Result<HashMap<usize, String>, LoadError> {
    const FILE: &str = "hs_synonyms.csv";
    let mut out: HashMap<usize, String> = HashMap::new();
    for (row, cols) in records(FILE, text, &["code", "terms"])? {
        let code = parse_code(FILE, row, &cols[0])?;
        let &idx = index.get(&code).ok_or_else(|| LoadError::Row {
            file: FILE,
            row,
            reason: format!("{code} is not an HS 2022 code"),
        })?;
        let terms = out.entry(idx).or_default();
        terms.push(' ');
        terms.push_str(&cols[1]);
    }
    Ok(out)
}

fn parse_sections(text: &str) -> Result<Vec<(String, String)>, LoadError> {
    Ok(records("sections.csv", text, &["section", "name"])?
        .into_iter()
        .map(|(_, mut cols)| {
            let name = cols.pop().unwrap_or_default();
            let section = cols.pop().unwrap_or_default();
            (section, name)
        })
        .collect())
}

fn parse_hs(text: &str) -> Result<Vec<HsEntry>, LoadError> {
    const FILE: &str = "harmonized-system.csv";
    let mut entries = Vec::new();
    for (row, cols) in
        records(FILE, text, &["section", "hscode", "description", "parent", "level"])?
    {
        if cols[1] == "TOTAL" {
            continue; // The file's root row stands for the whole nomenclature.
        }
        let code = parse_code(FILE, row, &cols[1])?;
        let level: u8 = cols[4].parse().map_err(|_| LoadError::Row {
            file: FILE,
            row,
            reason: format!("level must be 2, 4 or 6, got {:?}", cols[4]),
        })?;
        if usize::from(level) != code.len() {
            return Err(LoadError::Row {
                file: FILE,
                row,
                reason: format!("level {level} does not match code {code}"),
            });
        }
        let parent = if cols[3] == "TOTAL" { None } else { Some(parse_code(FILE, row, &cols[3])?) };
        entries.push(HsEntry {
            code,
            level,
            section: cols[0].clone(),
            description_en: cols[2].clone(),
            description_ru: None,
            description_zh: None,
            parent,
            children: Vec::new(),
            hs2017: Vec::new(),
            national_lines: Vec::new(),
        });
    }
    entries.sort_by_key(|e| e.code);
    Ok(entries)
}

fn link_children(hs: &mut [HsEntry], index: &FastMap<HsCode, usize>) {
    let links: Vec<(usize, HsCode)> = hs
        .iter()
        .filter_map(|e| e.parent.and_then(|p| index.get(&p)).map(|&pi| (pi, e.code)))
        .collect();
    for (parent_idx, child) in links {
        hs[parent_idx].children.push(child);
    }
}

fn attach_correlation(
    hs: &mut [HsEntry],
    index: &FastMap<HsCode, usize>,
    text: &str,
) -> Result<(), LoadError> {
    const FILE: &str = "hs2022_hs2017_correlation.csv";
    for (row, cols) in records(FILE, text, &["hs2022", "hs2017", "relationship"])? {
        let from = parse_code(FILE, row, &cols[0])?;
        let to = parse_code(FILE, row, &cols[1])?;
        if let Some(&idx) = index.get(&from) {
            hs[idx].hs2017.push(Hs2017Link { hs2017: to, relationship: cols[2].clone() });
        }
    }
    Ok(())
}

/// Attaches TN VED Russian names; returns the Russian section names.
///
/// Chapters and headings carry a Russian name of their own. An HS subheading takes the name of
/// its TN VED ten-digit line when it has exactly one (`XXXXXX0000`), since that line is the
/// subheading itself; otherwise it stays without a Russian name (the UI falls back to English)
/// and its lines are listed as national lines.
fn attach_russian(
    hs: &mut [HsEntry],
    index: &FastMap<HsCode, usize>,
    text: &str,
) -> Result<HashMap<String, String>, LoadError> {
    const FILE: &str = "tnved_eaeu_ru.csv";
    let mut section_names = HashMap::new();
    for (row, cols) in records(FILE, text, &["code", "level", "name_ru", "valid_from"])? {
        let name = cols[2].trim().trim_start_matches(['-', ' ']).to_owned();
        match cols[1].as_str() {
            "section" => {
                section_names.insert(cols[0].clone(), name);
            }
            "chapter" | "heading" => {
                let code = parse_code(FILE, row, &cols[0])?;
                if let Some(&idx) = index.get(&code) {
                    hs[idx].description_ru = Some(sentence_case(&name));
                }
            }
            "line10" => {
                let code = parse_code(FILE, row, &cols[0])?;
                if let Some(&idx) = index.get(&code.truncate(6)) {
                    hs[idx].national_lines.push(NationalLine {
                        code,
                        name_ru: name,
                        valid_from: cols[3].clone(),
                        name_source: NameSource::TnVed,
                    });
                }
            }
            _ => {}
        }
    }
    for entry in hs.iter_mut().filter(|e| e.level == 6) {
        if let [only] = entry.national_lines.as_slice() {
            entry.description_ru = Some(only.name_ru.clone());
        }
    }
    Ok(section_names)
}

/// The first day of the EAEU Common Customs Tariff revision the not-listed lines come from.
const ETT_VALID_FROM: &str = "2026-01-01";

/// Adds the lines of the EAEU Common Customs Tariff that the TN VED list lacks under their HS
/// subheading, named by the subheading's description (Russian where it has one, else English)
/// behind [`NO_TNVED_NAME`], so every tariff line has a description and says where it is from.
/// Must run after [`attach_russian`], which gives subheadings their Russian names.
fn attach_ett_lines(
    hs: &mut [HsEntry],
    index: &FastMap<HsCode, usize>,
    text: &str,
) -> Result<(), LoadError> {
    const FILE: &str = "ett_lines_not_listed.csv";
    for (row, cols) in records(FILE, text, &["code", "heading_listed"])? {
        let code = parse_code(FILE, row, &cols[0])?;
        if code.len() != 10 {
            return Err(LoadError::Row {
                file: FILE,
                row,
                reason: format!("{code} is not a ten-digit line"),
            });
        }
        let &idx = index.get(&code.truncate(6)).ok_or_else(|| LoadError::Row {
            file: FILE,
            row,
            reason: format!("{code}: its subheading {} is not in HS 2022", code.truncate(6)),
        })?;
        let entry = &hs[idx];
        if entry.national_lines.iter().any(|line| line.code == code) {
            return Err(LoadError::Row {
                file: FILE,
                row,
                reason: format!("{code} is in the TN VED list already"),
            });
        }
        let text = entry.description_ru.as_deref().unwrap_or(&entry.description_en);
        let name_ru = format!("{NO_TNVED_NAME} {text}");
        hs[idx].national_lines.push(NationalLine {
            code,
            name_ru,
            valid_from: ETT_VALID_FROM.to_owned(),
            name_source: NameSource::Hs2022Subheading,
        });
    }
    for entry in hs.iter_mut().filter(|e| e.level == 6) {
        entry.national_lines.sort_by_key(|line| line.code);
    }
    Ok(())
}

/// TN VED chapter and heading names are in capitals; show them in sentence case.
fn sentence_case(name: &str) -> String {
    if name.chars().any(|c| c.is_lowercase()) {
        return name.to_owned();
    }
    let lower = name.to_lowercase();
    let mut chars = lower.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

fn parse_countries(text: &str) -> Result<Vec<Country>, LoadError> {
    const FILE: &str = "country-codes.csv";
    let cols = [
        "ISO3166-1-Alpha-2",
        "ISO3166-1-Alpha-3",
        "ISO3166-1-numeric",
        "CLDR display name",
        "official_name_ru",
        "official_name_cn",
        "ISO4217-currency_alphabetic_code",
    ];
    let mut out = Vec::new();
    for (row, c) in records(FILE, text, &cols)? {
        if c[0].trim().is_empty() {
            continue; // Rows for areas without an ISO code (e.g. Sark) are not countries here.
        }
        let alpha2 = CountryCode::parse(&c[0]).map_err(|e| LoadError::Row {
            file: FILE,
            row,
            reason: e.to_string(),
        })?;
        out.push(Country {
            alpha2,
            alpha3: c[1].clone(),
            numeric: format!("{:0>3}", c[2]),
            name_en: c[3].clone(),
            name_ru: if c[4].is_empty() { c[3].clone() } else { c[4].clone() },
            name_zh: if c[5].is_empty() { c[3].clone() } else { c[5].clone() },
            currencies: c[6].split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        });
    }
    out.sort_by_key(|c| c.alpha2);
    Ok(out)
}

fn parse_currencies(text: &str) -> Result<Vec<Currency>, LoadError> {
    const FILE: &str = "iso4217_list_one.csv";
    let mut out: Vec<Currency> = Vec::new();
    for (row, c) in records(
        FILE,
        text,
        &["currency_name", "alpha_code", "numeric_code", "minor_units", "is_fund"],
    )? {
        if c[1].is_empty() {
            continue; // "No universal currency" rows (e.g. Antarctica) have no code.
        }
        let code = CurrencyCode::parse(&c[1]).map_err(|e| LoadError::Row {
            file: FILE,
            row,
            reason: e.to_string(),
        })?;
        if out.iter().any(|existing| existing.code == code) {
            continue; // List One repeats a currency once per country that uses it.
        }
        let minor_units = match c[3].as_str() {
            "N.A." | "" => None,
            n => Some(n.parse().map_err(|_| LoadError::Row {
                file: FILE,
                row,
                reason: format!("minor_units must be a number or N.A., got {n:?}"),
            })?),
        };
        out.push(Currency {
            code,
            numeric: c[2].clone(),
            name: c[0].clone(),
            minor_units,
            is_fund: c[4].eq_ignore_ascii_case("true") || c[4] == "WW",
        });
    }
    out.sort_by_key(|c| c.code);
    Ok(out)
}

fn parse_units(text: &str) -> Result<Vec<Unit>, LoadError> {
    const FILE: &str = "rec20_all_codes.csv";
    let mut out: Vec<Unit> = records(
        FILE,
        text,
        &["status", "common_code", "name", "level_category", "symbol", "conversion_factor"],
    )?
    .into_iter()
    .map(|(_, c)| Unit {
        code: c[1].clone(),
        name: c[2].clone(),
        symbol: c[4].clone(),
        level_category: c[3].clone(),
        conversion_factor: c[5].clone(),
        deprecated: matches!(c[0].as_str(), "X" | "D"),
    })
    .collect();
    out.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(out)
}

#[cfg(test)]
mod tests;
