//! Readers of issue 9's CSV files (plain or gzipped): students, programmes, lottery, and a
//! placement to audit. Every error names the file, the line and the column, and says what
//! to fix.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use caravan_matching::{
    CallLimits, Instance, InstanceError, Matching, PriorityRule, ProgrammeSpec, QUOTA_COUNTRIES,
    StudentTable, TieBreak,
};
use caravan_types::CountryCode;

/// How many problems to show before saying "and N more".
const MAX_SHOWN_ERRORS: usize = 20;

/// Opens `path` for reading, decompressing it when it starts with the gzip magic bytes.
pub(crate) fn open(path: &Path) -> Result<Box<dyn Read>> {
    let file = File::open(path)
        .with_context(|| format!("cannot open {}: check the path", path.display()))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let head = reader.fill_buf().with_context(|| format!("reading {}", path.display()))?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(BufReader::with_capacity(1 << 16, flate2::read::MultiGzDecoder::new(reader))))
    } else {
        Ok(Box::new(reader))
    }
}

fn csv_reader(path: &Path) -> Result<csv::Reader<Box<dyn Read>>> {
    Ok(csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(open(path)?))
}

/// Column positions of a header, by name.
struct Header {
    names: Vec<String>,
}

impl Header {
    fn read(reader: &mut csv::Reader<Box<dyn Read>>, path: &Path) -> Result<Header> {
        let record = reader
            .headers()
            .with_context(|| format!("{}: cannot read the header line", path.display()))?;
        Ok(Header { names: record.iter().map(|s| s.trim().to_owned()).collect() })
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    fn require(&self, name: &str, path: &Path, expected: &str) -> Result<usize> {
        self.find(name).ok_or_else(|| {
            anyhow!("{}: the header has no column {name}; expected {expected}", path.display())
        })
    }
}

/// A problem at a cell, rendered `FILE line L, column C: reason`.
fn cell_error(path: &Path, line: u64, column: &str, reason: impl std::fmt::Display) -> String {
    format!("{} line {line}, column {column}: {reason}", path.display())
}

fn bail_all(errors: Vec<String>, what: &str) -> Result<()> {
    if errors.is_empty() {
        return Ok(());
    }
    let n = errors.len();
    let mut message = format!("{n} problem(s) in {what}; fix them and run again:");
    for e in errors.iter().take(MAX_SHOWN_ERRORS) {
        message.push_str("\n  ");
        message.push_str(e);
    }
    if n > MAX_SHOWN_ERRORS {
        message.push_str(&format!("\n  ... and {} more", n - MAX_SHOWN_ERRORS));
    }
    Err(anyhow!(message))
}

/// Programmes as read: ids, their specs and where each was in the file.
pub(crate) struct Programmes {
    pub(crate) ids: Vec<String>,
    pub(crate) specs: Vec<ProgrammeSpec>,
    pub(crate) lines: Vec<u64>,
    pub(crate) index: HashMap<String, usize>,
}

const PROGRAMMES_HEADER: &str =
    "programme_id,capacity[,quota_CN,quota_KZ,quota_KG,quota_TJ,quota_TM,quota_UZ]";

/// Reads `programme_id,capacity[,quota_CN..quota_UZ]`.
pub(crate) fn programmes(path: &Path) -> Result<Programmes> {
    let mut reader = csv_reader(path)?;
    let header = Header::read(&mut reader, path)?;
    let id_col = header.require("programme_id", path, PROGRAMMES_HEADER)?;
    let cap_col = header.require("capacity", path, PROGRAMMES_HEADER)?;
    let quota_cols: Vec<Option<usize>> =
        QUOTA_COUNTRIES.iter().map(|c| header.find(&format!("quota_{c}"))).collect();
    let n_quota_cols = quota_cols.iter().flatten().count();
    if n_quota_cols != 0 && n_quota_cols != 6 {
        bail!(
            "{}: the header has {n_quota_cols} of the 6 quota columns; give all of \
             quota_CN,quota_KZ,quota_KG,quota_TJ,quota_TM,quota_UZ or none",
            path.display()
        );
    }
    let mut res =
        Programmes { ids: Vec::new(), specs: Vec::new(), lines: Vec::new(), index: HashMap::new() };
    let mut errors = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => {
                bail!("{}: {err}; every row needs as many cells as the header", path.display())
            }
        }
        let line = record.position().map_or(0, csv::Position::line);
        let id = record.get(id_col).unwrap_or("").trim().to_owned();
        if id.is_empty() || id == "-1" {
            errors.push(cell_error(
                path,
                line,
                "programme_id",
                "must be non-empty and not -1 (-1 marks the unmatched)",
            ));
        } else if let Some(&first) = res.index.get(&id) {
            errors.push(cell_error(
                path,
                line,
                "programme_id",
                format!("{id:?} repeats line {}", res.lines[first]),
            ));
        } else {
            res.index.insert(id.clone(), res.ids.len());
        }
        let mut count = |column: &str, text: &str| -> u32 {
            match text.trim().parse::<i64>() {
                Ok(v) if v < 0 => {
                    errors.push(cell_error(
                        path,
                        line,
                        column,
                        format!("must be zero or more, got {v}"),
                    ));
                    0
                }
                Ok(v) => u32::try_from(v).unwrap_or_else(|_| {
                    errors.push(cell_error(path, line, column, format!("{v} is too large")));
                    0
                }),
                Err(_) => {
                    errors.push(cell_error(
                        path,
                        line,
                        column,
                        format!("expected a whole number, got {text:?}"),
                    ));
                    0
                }
            }
        };
        let capacity = count("capacity", record.get(cap_col).unwrap_or(""));
        let quotas = (n_quota_cols == 6).then(|| {
            let mut quotas = [0u32; 6];
            for (k, col) in quota_cols.iter().enumerate() {
                let col = col.expect("all six quota columns are present");
                let name = format!("quota_{}", QUOTA_COUNTRIES[k]);
                quotas[k] = count(&name, record.get(col).unwrap_or(""));
            }
            quotas
        });
        res.ids.push(id);
        res.specs.push(ProgrammeSpec { capacity, quotas });
        res.lines.push(line);
    }
    bail_all(errors, &path.display().to_string())?;
    Ok(res)
}

/// Students as read, with the file position of each.
pub(crate) struct Students {
    pub(crate) table: StudentTable,
    pub(crate) lines: Vec<u64>,
    pub(crate) index: HashMap<u64, usize>,
}

const STUDENTS_HEADER: &str = "student_id,country,p1..pL,s1..sL";

/// Reads `student_id,country,p1..pL,s1..sL`; programme ids are looked up in `programmes`.
pub(crate) fn students(
    path: &Path,
    programmes: &Programmes,
    progress: &indicatif::ProgressBar,
) -> Result<Students> {
    let mut reader = csv_reader(path)?;
    let header = Header::read(&mut reader, path)?;
    let id_col = header.require("student_id", path, STUDENTS_HEADER)?;
    let country_col = header.require("country", path, STUDENTS_HEADER)?;
    let mut choice_cols = Vec::new();
    while let Some(p) = header.find(&format!("p{}", choice_cols.len() + 1)) {
        let k = choice_cols.len() + 1;
        let s = header.require(&format!("s{k}"), path, STUDENTS_HEADER)?;
        choice_cols.push((p, s));
    }
    if header.find(&format!("s{}", choice_cols.len() + 1)).is_some() {
        let k = choice_cols.len() + 1;
        bail!("{}: column s{k} has no p{k}; expected {STUDENTS_HEADER}", path.display());
    }
    let mut table = StudentTable::new();
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut choices: Vec<(usize, i64)> = Vec::with_capacity(choice_cols.len());
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => {
                bail!("{}: {err}; every row needs as many cells as the header", path.display())
            }
        }
        let line = record.position().map_or(0, csv::Position::line);
        let id_text = record.get(id_col).unwrap_or("").trim();
        let id = id_text.parse::<u64>().unwrap_or_else(|_| {
            errors.push(cell_error(
                path,
                line,
                "student_id",
                format!("expected a non-negative whole number, got {id_text:?}"),
            ));
            0
        });
        let country_text = record.get(country_col).unwrap_or("");
        let country = CountryCode::parse(country_text).unwrap_or_else(|err| {
            errors.push(cell_error(path, line, "country", err));
            CountryCode::parse("CN").expect("constant code parses")
        });
        choices.clear();
        let mut ended_at = None;
        for (k, &(p_col, s_col)) in choice_cols.iter().enumerate() {
            let p_text = record.get(p_col).unwrap_or("").trim();
            let s_text = record.get(s_col).unwrap_or("").trim();
            let (p_name, s_name) = (format!("p{}", k + 1), format!("s{}", k + 1));
            if p_text.is_empty() {
                if !s_text.is_empty() {
                    errors.push(cell_error(
                        path,
                        line,
                        &s_name,
                        format!("score {s_text:?} without a programme in {p_name}"),
                    ));
                }
                ended_at.get_or_insert(k);
                continue;
            }
            if let Some(end) = ended_at {
                errors.push(cell_error(
                    path,
                    line,
                    &p_name,
                    format!("choice after the empty p{}; list choices without gaps", end + 1),
                ));
                continue;
            }
            let Some(&programme) = programmes.index.get(p_text) else {
                errors.push(cell_error(
                    path,
                    line,
                    &p_name,
                    format!("unknown programme id {p_text:?}: not in the programmes file"),
                ));
                continue;
            };
            let Ok(score) = s_text.parse::<i64>() else {
                let reason = if s_text.is_empty() {
                    "missing score for this choice".to_owned()
                } else {
                    format!("expected a whole-number score, got {s_text:?}")
                };
                errors.push(cell_error(path, line, &s_name, reason));
                continue;
            };
            choices.push((programme, score));
        }
        table.push(id, country, choices.iter().copied());
        lines.push(line);
        if lines.len() % 65_536 == 0 {
            progress.set_position(lines.len() as u64);
        }
    }
    bail_all(errors, &path.display().to_string())?;
    let mut index = HashMap::with_capacity(table.len());
    for s in 0..table.len() {
        // Duplicates are reported by the instance check; keep the first here.
        index.entry(table.id(s)).or_insert(s);
    }
    Ok(Students { table, lines, index })
}

/// The priority rule from a lottery file `student_id,stb,t1..tL`.
pub(crate) fn lottery(
    path: &Path,
    students: &Students,
    multiple: bool,
    score_band: u32,
) -> Result<PriorityRule> {
    let mut reader = csv_reader(path)?;
    let header = Header::read(&mut reader, path)?;
    let expected = "student_id,stb,t1..tL";
    let id_col = header.require("student_id", path, expected)?;
    let stb_col =
        if multiple { header.find("stb") } else { Some(header.require("stb", path, expected)?) };
    let mut t_cols = Vec::new();
    while let Some(c) = header.find(&format!("t{}", t_cols.len() + 1)) {
        t_cols.push(c);
    }
    let n = students.table.len();
    let mut stb = vec![None; n];
    let mut offsets = Vec::with_capacity(n + 1);
    offsets.push(0usize);
    for s in 0..n {
        offsets.push(offsets[s] + students.table.choices(s).count());
    }
    let mut t = vec![None; offsets[n]];
    let mut seen: Vec<Option<u64>> = vec![None; n];
    let mut errors = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => {
                bail!("{}: {err}; every row needs as many cells as the header", path.display())
            }
        }
        let line = record.position().map_or(0, csv::Position::line);
        let id_text = record.get(id_col).unwrap_or("").trim();
        let Some(&student) = id_text.parse::<u64>().ok().and_then(|id| students.index.get(&id))
        else {
            errors.push(cell_error(
                path,
                line,
                "student_id",
                format!("{id_text:?} is not a student in the students file"),
            ));
            continue;
        };
        if let Some(first) = seen[student] {
            errors.push(cell_error(
                path,
                line,
                "student_id",
                format!("student {id_text} repeats line {first}"),
            ));
            continue;
        }
        seen[student] = Some(line);
        let mut number = |column: &str, text: &str| -> Option<u64> {
            lottery_number(text).unwrap_or_else(|reason| {
                errors.push(cell_error(path, line, column, reason));
                Some(0)
            })
        };
        if let Some(col) = stb_col {
            stb[student] = number("stb", record.get(col).unwrap_or(""));
        }
        let mut missing = Vec::new();
        if multiple {
            for k in 0..offsets[student + 1] - offsets[student] {
                let name = format!("t{}", k + 1);
                let value = t_cols.get(k).and_then(|&c| number(&name, record.get(c).unwrap_or("")));
                if value.is_none() {
                    missing.push((
                        name,
                        "missing: multiple tie-breaking needs one number per choice of the student",
                    ));
                }
                t[offsets[student] + k] = value;
            }
        } else if stb[student].is_none() {
            missing.push((
                "stb".to_owned(),
                "missing: single tie-breaking needs one number per student",
            ));
        }
        for (column, reason) in missing {
            errors.push(cell_error(path, line, &column, reason));
        }
    }
    for (s, first) in seen.iter().enumerate() {
        if first.is_none() {
            errors.push(format!(
                "{}: student {} (students file line {}) has no lottery row; give every student one",
                path.display(),
                students.table.id(s),
                students.lines[s]
            ));
        }
    }
    bail_all(errors, &path.display().to_string())?;
    let tie_break = if multiple {
        TieBreak::Multiple(t.into_iter().map(|v| v.unwrap_or(0)).collect())
    } else {
        TieBreak::Single(stb.into_iter().map(|v| v.unwrap_or(0)).collect())
    };
    Ok(PriorityRule { score_band, tie_break })
}

/// Parses a lottery number: a non-negative decimal, or nothing for an empty cell. For those,
/// the IEEE 754 bit pattern orders exactly as the numbers do.
fn lottery_number(text: &str) -> Result<Option<u64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(Some((v + 0.0).to_bits())),
        _ => Err(format!("expected a non-negative number, got {text:?}")),
    }
}

/// Builds the instance, turning each domain error into a file, line and column.
pub(crate) fn instance(
    students_path: &Path,
    programmes_path: &Path,
    students: &Students,
    programmes: &Programmes,
    rule: &PriorityRule,
    limits: CallLimits,
) -> Result<Instance> {
    match Instance::new(&students.table, &programmes.specs, rule, limits) {
        Ok(instance) => Ok(instance),
        Err(errs) => {
            let messages = errs
                .iter()
                .map(|err| describe(err, students_path, programmes_path, students, programmes))
                .collect();
            bail_all(messages, "the input")?;
            Err(anyhow!("the input is invalid"))
        }
    }
}

fn describe(
    err: &InstanceError,
    students_path: &Path,
    programmes_path: &Path,
    students: &Students,
    programmes: &Programmes,
) -> String {
    let line = |s: usize| students.lines[s];
    let programme_of = |s: usize, choice: usize| {
        students
            .table
            .choices(s)
            .nth(choice)
            .map_or("?".to_owned(), |(p, _)| programmes.ids[p].clone())
    };
    match *err {
        InstanceError::DuplicateChoice { student, choice, first } => cell_error(
            students_path,
            line(student),
            &format!("p{}", choice + 1),
            format!(
                "programme {:?} is already choice p{}; list each programme once",
                programme_of(student, choice),
                first + 1
            ),
        ),
        InstanceError::ListTooLong { student, len, max } => cell_error(
            students_path,
            line(student),
            &format!("p{}", max + 1),
            format!("{len} choices, but the call allows at most {max}"),
        ),
        InstanceError::ScoreOutOfRange { student, choice, score, max } => cell_error(
            students_path,
            line(student),
            &format!("s{}", choice + 1),
            format!("score {score} is outside 0..={max}"),
        ),
        InstanceError::DuplicateStudentId { student, id, first } => cell_error(
            students_path,
            line(student),
            "student_id",
            format!("id {id} repeats line {}; student ids must be unique", line(first)),
        ),
        InstanceError::NoQuotaForCountry { student, choice, country } => cell_error(
            students_path,
            line(student),
            "country",
            format!(
                "{country} has no quota at programme {:?} (choice p{}); quotas are for CN, KZ, KG, TJ, TM, UZ",
                programme_of(student, choice),
                choice + 1
            ),
        ),
        InstanceError::QuotasDoNotSumToCapacity { programme, sum, capacity } => cell_error(
            programmes_path,
            programmes.lines[programme],
            "quota_CN..quota_UZ",
            format!("quotas sum to {sum}, but capacity is {capacity}; make them add up"),
        ),
        InstanceError::UnknownProgramme { .. }
        | InstanceError::LotteryLength { .. }
        | InstanceError::ZeroScoreBand
        | InstanceError::TooLarge { .. } => err.to_string(),
    }
}

/// Reads a placement `student_id,programme_id,rank` of `instance` (`-1,0`: unmatched).
pub(crate) fn matching(
    path: &Path,
    instance: &Instance,
    students: &Students,
    programmes: &Programmes,
) -> Result<Matching> {
    let mut reader = csv_reader(path)?;
    let header = Header::read(&mut reader, path)?;
    let expected = "student_id,programme_id,rank";
    let id_col = header.require("student_id", path, expected)?;
    let p_col = header.require("programme_id", path, expected)?;
    let rank_col = header.require("rank", path, expected)?;
    let n = instance.n_students();
    let mut choices: Vec<Option<usize>> = vec![None; n];
    let mut seen: Vec<Option<u64>> = vec![None; n];
    let mut errors = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => {
                bail!("{}: {err}; every row needs as many cells as the header", path.display())
            }
        }
        let line = record.position().map_or(0, csv::Position::line);
        let id_text = record.get(id_col).unwrap_or("").trim();
        let Some(&student) = id_text.parse::<u64>().ok().and_then(|id| students.index.get(&id))
        else {
            errors.push(cell_error(
                path,
                line,
                "student_id",
                format!("{id_text:?} is not a student in the students file"),
            ));
            continue;
        };
        if let Some(first) = seen[student] {
            errors.push(cell_error(
                path,
                line,
                "student_id",
                format!("student {id_text} repeats line {first}"),
            ));
            continue;
        }
        seen[student] = Some(line);
        let p_text = record.get(p_col).unwrap_or("").trim();
        let rank_text = record.get(rank_col).unwrap_or("").trim();
        let Ok(rank) = rank_text.parse::<usize>() else {
            errors.push(cell_error(
                path,
                line,
                "rank",
                format!("expected a whole number, got {rank_text:?}"),
            ));
            continue;
        };
        if p_text == "-1" {
            if rank != 0 {
                errors.push(cell_error(
                    path,
                    line,
                    "rank",
                    format!("an unmatched student (-1) has rank 0, got {rank}"),
                ));
            }
            continue;
        }
        let Some(&programme) = programmes.index.get(p_text) else {
            errors.push(cell_error(
                path,
                line,
                "programme_id",
                format!("unknown programme id {p_text:?}: not in the programmes file"),
            ));
            continue;
        };
        let Some(position) = instance.position_of(student, programme) else {
            errors.push(cell_error(
                path,
                line,
                "programme_id",
                format!("student {id_text} did not list programme {p_text:?}"),
            ));
            continue;
        };
        if rank != position + 1 {
            errors.push(cell_error(
                path,
                line,
                "rank",
                format!("{p_text:?} is choice {} of student {id_text}, not {rank}", position + 1),
            ));
            continue;
        }
        choices[student] = Some(position);
    }
    for (s, first) in seen.iter().enumerate() {
        if first.is_none() {
            errors.push(format!(
                "{}: student {} (students file line {}) has no row; write `{},-1,0` for an unmatched student",
                path.display(),
                instance.student_id(s),
                students.lines[s],
                instance.student_id(s)
            ));
        }
    }
    bail_all(errors, &path.display().to_string())?;
    Matching::from_choices(instance, &choices).context("the placement does not fit the students")
}
