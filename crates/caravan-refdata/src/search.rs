//! The HS full-text search index: BM25 over English and Russian stems and Chinese character
//! bigrams, with typo and prefix expansion.
//!
//! Why not a search engine crate: the HS is about 7,000 short entries. An in-memory inverted
//! index with the Snowball stemmers (`rust-stemmers`, the ones tantivy uses) answers a query in
//! tens of microseconds and builds in milliseconds, without tantivy's compile cost and on-disk
//! segments. Ranking is Okapi BM25 (Robertson & Zaragoza 2009, eq. 3.1) with k1 = 1.2, b = 0.75.

use std::cell::RefCell;
use std::collections::HashMap;

use crate::FastMap;

use rust_stemmers::{Algorithm, Stemmer};
use serde::{Deserialize, Serialize};

use crate::HsEntry;

/// A language of the interface and of search.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Ru,
    Zh,
}

impl Lang {
    /// Parses `en`, `ru` or `zh` (also `zh-CN`, `ru-RU`, …: the primary tag decides).
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "ru" => Some(Lang::Ru),
            "zh" => Some(Lang::Zh),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ru => "ru",
            Lang::Zh => "zh",
        }
    }
}

/// A search request.
#[derive(Debug, Clone, Copy)]
pub struct SearchQuery<'a> {
    pub text: &'a str,
    /// Language of the descriptions in the result; the query itself may be in any language.
    pub lang: Lang,
    pub limit: usize,
}

/// Weight of each field of an entry in its term frequencies.
const WEIGHT_OWN: f32 = 1.0;
const WEIGHT_PARENT: f32 = 0.35;
const WEIGHT_NATIONAL_LINE: f32 = 0.4;
/// Score factors for expanded terms.
const TYPO_FACTOR: f32 = 0.6;
const PREFIX_FACTOR: f32 = 0.75;
const BM25_K1: f32 = 1.2;
const BM25_B: f32 = 0.75;

/// Words too common in HS texts to tell entries apart.
const STOPWORDS: &[&str] = &[
    "a",
    "an",
    "and",
    "as",
    "at",
    "be",
    "by",
    "for",
    "from",
    "in",
    "incl",
    "including",
    "is",
    "its",
    "not",
    "of",
    "on",
    "or",
    "other",
    "than",
    "the",
    "their",
    "thereof",
    "to",
    "with",
    "whether",
    "n",
    "e",
    "c",
    "nes",
    "и",
    "или",
    "в",
    "во",
    "на",
    "из",
    "для",
    "с",
    "со",
    "к",
    "по",
    "от",
    "не",
    "их",
    "прочие",
    "прочий",
    "прочая",
    "прочее",
    "кроме",
    "том",
    "числе",
    "как",
    "а",
];

/// The inverted index.
pub struct SearchIndex {
    terms: FastMap<String, u32>,
    /// Postings per term: (document, weighted term frequency).
    postings: Vec<Vec<(u32, f32)>>,
    /// Surface words (lower-cased, unstemmed) and their term, for typo and prefix expansion, sorted.
    surface: Vec<(Vec<char>, u32)>,
    /// (character bigram, word length) → surface words of that length containing it: typo
    /// candidates must have a close length and share bigrams with the query word (the q-gram
    /// lemma: one edit destroys at most two bigrams).
    bigrams: FastMap<(char, char, usize), Vec<u32>>,
    doc_len: Vec<f32>,
    avg_doc_len: f32,
    analyzer: Analyzer,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("terms", &self.terms.len())
            .field("docs", &self.doc_len.len())
            .finish()
    }
}

struct Analyzer {
    english: Stemmer,
    russian: Stemmer,
}

/// Stems already computed, by surface word: index building stems the same words often.
type StemMemo = HashMap<String, String>;

/// A token of text: the indexed term, and the surface word it came from (none for CJK n-grams).
struct Token {
    term: String,
    surface: Option<String>,
}

impl Analyzer {
    fn new() -> Self {
        Self {
            english: Stemmer::create(Algorithm::English),
            russian: Stemmer::create(Algorithm::Russian),
        }
    }

    /// Splits `text` into tokens; `memo` caches stems while the index is built.
    fn tokens(&self, text: &str, out: &mut Vec<Token>, mut memo: Option<&mut StemMemo>) {
        let mut word = String::new();
        let mut han_run: Vec<char> = Vec::new();
        for ch in text.chars().chain(std::iter::once(' ')) {
            if is_han(ch) {
                self.flush_word(&mut word, out, memo.as_deref_mut());
                han_run.push(ch);
            } else if ch.is_alphanumeric() {
                flush_han(&mut han_run, out);
                for lower in ch.to_lowercase() {
                    word.push(if lower == 'ё' { 'е' } else { lower });
                }
            } else {
                self.flush_word(&mut word, out, memo.as_deref_mut());
                flush_han(&mut han_run, out);
            }
        }
    }

    fn stem(&self, word: &str, memo: Option<&mut StemMemo>) -> String {
        let compute = || {
            let is_cyrillic = word.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c));
            let stemmer = if is_cyrillic { &self.russian } else { &self.english };
            stemmer.stem(word).into_owned()
        };
        match memo {
            Some(memo) => memo.entry(word.to_owned()).or_insert_with(compute).clone(),
            None => compute(),
        }
    }

    fn flush_word(&self, word: &mut String, out: &mut Vec<Token>, memo: Option<&mut StemMemo>) {
        if word.is_empty() {
            return;
        }
        if !STOPWORDS.contains(&word.as_str()) {
            let term = self.stem(word, memo);
            out.push(Token { term, surface: Some(word.clone()) });
        }
        word.clear();
    }
}

fn is_han(ch: char) -> bool {
    matches!(ch as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2A6DF)
}

/// Chinese has no spaces: index each character and each pair of neighbours, the usual
/// CJK bigram analysis (as Lucene's CJKAnalyzer does).
fn flush_han(run: &mut Vec<char>, out: &mut Vec<Token>) {
    for (idx, ch) in run.iter().enumerate() {
        out.push(Token { term: ch.to_string(), surface: None });
        if let Some(next) = run.get(idx + 1) {
            out.push(Token { term: format!("{ch}{next}"), surface: None });
        }
    }
    run.clear();
}

impl SearchIndex {
    /// Builds the index over `entries` (the document id is the position in the slice), with
    /// extra `synonyms` text per entry position, indexed with the entry and its children.
    pub fn build(entries: &[HsEntry], synonyms: &HashMap<usize, String>) -> SearchIndex {
        let analyzer = Analyzer::new();
        let by_code: HashMap<_, _> =
            entries.iter().enumerate().map(|(idx, e)| (e.code, (idx, e))).collect();
        let mut terms: FastMap<String, u32> = FastMap::default();
        let mut postings: Vec<Vec<(u32, f32)>> = Vec::new();
        let mut surface_map: HashMap<String, u32> = HashMap::new();
        let mut doc_len = Vec::with_capacity(entries.len());
        let mut tokens = Vec::new();
        let mut memo = StemMemo::new();
        for (doc, entry) in entries.iter().enumerate() {
            let mut tf: HashMap<u32, f32> = HashMap::new();
            let mut add = |text: &str, weight: f32, tokens: &mut Vec<Token>| {
                tokens.clear();
                analyzer.tokens(text, tokens, Some(&mut memo));
                for token in tokens.drain(..) {
                    let next_id = terms.len() as u32;
                    let id = *terms.entry(token.term).or_insert(next_id);
                    if id == next_id {
                        postings.push(Vec::new());
                    }
                    if let Some(word) = token.surface {
                        surface_map.entry(word).or_insert(id);
                    }
                    *tf.entry(id).or_insert(0.0) += weight;
                }
            };
            add(&entry.description_en, WEIGHT_OWN, &mut tokens);
            if let Some(ru) = &entry.description_ru {
                add(ru, WEIGHT_OWN, &mut tokens);
            }
            if let Some(zh) = &entry.description_zh {
                add(zh, WEIGHT_OWN, &mut tokens);
            }
            if let Some(extra) = synonyms.get(&doc) {
                add(extra, WEIGHT_OWN, &mut tokens);
            }
            for line in &entry.national_lines {
                add(&line.name_ru, WEIGHT_NATIONAL_LINE, &mut tokens);
            }
            if let Some(&(parent_idx, parent)) = entry.parent.and_then(|p| by_code.get(&p)) {
                add(&parent.description_en, WEIGHT_PARENT, &mut tokens);
                if let Some(ru) = &parent.description_ru {
                    add(ru, WEIGHT_PARENT, &mut tokens);
                }
                if let Some(extra) = synonyms.get(&parent_idx) {
                    add(extra, WEIGHT_PARENT, &mut tokens);
                }
            }
            let len: f32 = tf.values().sum();
            doc_len.push(len.max(1.0));
            for (term, freq) in tf {
                postings[term as usize].push((doc as u32, freq));
            }
        }
        let avg_doc_len = doc_len.iter().sum::<f32>() / doc_len.len().max(1) as f32;
        let mut surface: Vec<(Vec<char>, u32)> =
            surface_map.into_iter().map(|(word, id)| (word.chars().collect(), id)).collect();
        surface.sort();
        let mut bigrams: FastMap<(char, char, usize), Vec<u32>> = FastMap::default();
        for (idx, (word, _)) in surface.iter().enumerate() {
            let mut seen = Vec::new();
            for pair in word.windows(2) {
                let key = (pair[0], pair[1], word.len());
                if !seen.contains(&key) {
                    seen.push(key);
                    bigrams.entry(key).or_default().push(idx as u32);
                }
            }
        }
        SearchIndex { terms, postings, surface, bigrams, doc_len, avg_doc_len, analyzer }
    }

    /// Number of distinct terms indexed.
    pub fn n_terms(&self) -> usize {
        self.terms.len()
    }

    /// Ranked documents for the query: positions in the entries the index was built from,
    /// best first, with their scores.
    pub fn search(&self, entries: &[HsEntry], query: &SearchQuery<'_>) -> Vec<(usize, f32)> {
        let text = query.text.trim();
        if text.is_empty() || query.limit == 0 {
            return Vec::new();
        }
        // A query of digits is a code look-up: every entry whose code starts with them.
        let digits: String = text.chars().filter(|c| !matches!(c, '.' | ' ')).collect();
        if digits.chars().all(|c| c.is_ascii_digit()) {
            // A national line (8 or 10 digits) is found through its HS subheading.
            if digits.len() > 6 {
                return entries
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| {
                        e.level == 6
                            && digits.starts_with(e.code.as_str())
                            && e.national_lines.iter().any(|l| l.code.as_str().starts_with(&digits))
                    })
                    .take(query.limit)
                    .map(|(idx, _)| (idx, 1.0))
                    .collect();
            }
            return entries
                .iter()
                .enumerate()
                .filter(|(_, e)| e.code.as_str().starts_with(&digits))
                .take(query.limit)
                .map(|(idx, e)| (idx, 1.0 / e.level as f32))
                .collect();
        }
        let mut tokens = Vec::new();
        self.analyzer.tokens(text, &mut tokens, None);
        if tokens.is_empty() {
            return Vec::new();
        }
        let n_docs = self.doc_len.len() as f32;
        let n_tokens = tokens.len();
        let mut ranked: Vec<(usize, f32)> = SCRATCH.with_borrow_mut(|scratch| {
            scratch.fit(self.doc_len.len());
            for (token_idx, token) in tokens.iter().enumerate() {
                let is_last = token_idx + 1 == n_tokens;
                // Marks which token last counted a document, so each token counts it once.
                let mark = token_idx as u32 + 1;
                for (term, factor) in self.expand(token, is_last) {
                    let posting = &self.postings[term as usize];
                    let df = posting.len() as f32;
                    let idf = ((n_docs - df + 0.5) / (df + 0.5) + 1.0).ln();
                    for &(doc, tf) in posting {
                        let d = doc as usize;
                        let dl = self.doc_len[d];
                        let norm = BM25_K1 * (1.0 - BM25_B + BM25_B * dl / self.avg_doc_len);
                        if scratch.last_token[d] == 0 {
                            scratch.touched.push(doc);
                        }
                        scratch.scores[d] += factor * idf * tf * (BM25_K1 + 1.0) / (tf + norm);
                        if scratch.last_token[d] != mark {
                            scratch.last_token[d] = mark;
                            scratch.matched[d] = scratch.matched[d].saturating_add(1);
                        }
                    }
                }
            }
            // Entries that match every word of the query come before those that match some.
            let ranked = scratch
                .touched
                .iter()
                .map(|&doc| doc as usize)
                .filter(|&doc| scratch.scores[doc] > 0.0)
                .map(|doc| {
                    let coverage = f32::from(scratch.matched[doc]) / n_tokens as f32;
                    (doc, scratch.scores[doc] * coverage * coverage)
                })
                .collect();
            scratch.clear();
            ranked
        });
        // Best first, ties by position; only the first `limit` need a full sort.
        let order = |a: &(usize, f32), b: &(usize, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if ranked.len() > query.limit {
            ranked.select_nth_unstable_by(query.limit - 1, order);
            ranked.truncate(query.limit);
        }
        ranked.sort_by(order);
        ranked
    }

    /// The terms a query token stands for, with a score factor: the exact stem; else words
    /// within a small edit distance (typos); for the last token also words it begins (typing).
    fn expand(&self, token: &Token, is_last: bool) -> Vec<(u32, f32)> {
        let mut out = Vec::new();
        if let Some(&id) = self.terms.get(&token.term) {
            out.push((id, 1.0));
        }
        let Some(word) = &token.surface else {
            return out;
        };
        let word: Vec<char> = word.chars().collect();
        // Typing: the last word of a query may be the start of a longer word.
        if is_last && word.len() >= 3 {
            let start = self.surface.partition_point(|(s, _)| s.as_slice() < word.as_slice());
            for (surface, id) in
                self.surface[start..].iter().take_while(|(s, _)| s.starts_with(&word)).take(24)
            {
                if surface.len() > word.len() && !out.iter().any(|(t, _)| t == id) {
                    out.push((*id, PREFIX_FACTOR));
                }
            }
        }
        // Typos: only for words that matched nothing as typed or as a prefix.
        if out.is_empty() && word.len() >= 4 {
            let max_edits = if word.len() >= 8 { 2 } else { 1 };
            // q-gram lemma (Ukkonen 1992): a word within k edits shares at least
            // (n - 1) - 2k of the query word's n - 1 bigrams.
            let min_shared = (word.len() - 1).saturating_sub(2 * max_edits).max(1);
            let mut shared: FastMap<u32, usize> = FastMap::default();
            let mut seen = Vec::new();
            for pair in word.windows(2) {
                let key = (pair[0], pair[1]);
                if seen.contains(&key) {
                    continue;
                }
                seen.push(key);
                for len in word.len().saturating_sub(max_edits)..=word.len() + max_edits {
                    for &idx in
                        self.bigrams.get(&(key.0, key.1, len)).map_or(&[][..], Vec::as_slice)
                    {
                        *shared.entry(idx).or_insert(0) += 1;
                    }
                }
            }
            let mut best = max_edits + 1;
            let mut candidates: Vec<(u32, usize)> = Vec::new();
            let mut rows = OsaRows::default();
            for (idx, count) in shared {
                if count < min_shared {
                    continue;
                }
                let (surface, id) = &self.surface[idx as usize];
                if let Some(d) = bounded_osa_distance(&word, surface, max_edits, &mut rows) {
                    best = best.min(d);
                    candidates.push((*id, d));
                }
            }
            candidates.sort_unstable();
            for (id, d) in candidates {
                if d == best && !out.iter().any(|(t, _)| *t == id) {
                    out.push((id, TYPO_FACTOR));
                }
            }
        }
        out
    }
}

/// Three reusable rows of the edit-distance table.
#[derive(Default)]
struct OsaRows {
    prev2: Vec<usize>,
    prev: Vec<usize>,
    cur: Vec<usize>,
}

/// Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), or `None`
/// when it exceeds `max`. Rows are cut off as soon as every cell passes `max`.
fn bounded_osa_distance(a: &[char], b: &[char], max: usize, rows: &mut OsaRows) -> Option<usize> {
    let width = b.len() + 1;
    let OsaRows { prev2, prev, cur } = rows;
    prev2.clear();
    prev2.resize(width, 0);
    prev.clear();
    prev.extend(0..width);
    cur.clear();
    cur.resize(width, 0);
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..width {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(prev2[j - 2] + 1);
            }
            cur[j] = d;
            row_min = row_min.min(d);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(prev2, prev);
        std::mem::swap(prev, cur);
    }
    let d = prev[b.len()];
    (d <= max).then_some(d)
}

/// Per-thread scoring buffers, reused across queries so a query costs in proportion to the
/// postings it touches rather than to the size of the nomenclature (no zeroing, no full scan).
#[derive(Default)]
struct Scratch {
    scores: Vec<f32>,
    matched: Vec<u8>,
    last_token: Vec<u32>,
    touched: Vec<u32>,
}

impl Scratch {
    fn fit(&mut self, n_docs: usize) {
        if self.scores.len() < n_docs {
            self.scores.resize(n_docs, 0.0);
            self.matched.resize(n_docs, 0);
            self.last_token.resize(n_docs, 0);
        }
    }

    /// Resets exactly the entries the last query touched.
    fn clear(&mut self) {
        for &doc in &self.touched {
            let d = doc as usize;
            self.scores[d] = 0.0;
            self.matched[d] = 0;
            self.last_token[d] = 0;
        }
        self.touched.clear();
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

#[cfg(test)]
pub(crate) fn osa_for_tests(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    bounded_osa_distance(&a, &b, max, &mut OsaRows::default())
}
