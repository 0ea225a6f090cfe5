//! The command-line shell of scholarship placement (issue 9): `caravan scholarship place`,
//! `caravan scholarship audit` and `caravan bench placement`. Reads CSV (plain or gzipped),
//! runs `caravan-matching`, writes CSV and reports; all output goes through one locked
//! stdout writer, progress goes to stderr.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use caravan_matching::audit::{self, FeasibilityViolation};
use caravan_matching::{CallLimits, Instance, Matching, Mechanism, PriorityRule, TieBreak, place};

mod bench;
mod read;

pub use bench::{BenchArgs, bench};

/// Subcommands of `caravan scholarship`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Place students into programmes and write `student_id,programme_id,rank`
    /// (`-1,0` for an unmatched student).
    Place(PlaceArgs),
    /// Audit a placement: capacities and quotas, every blocking pair, rank histogram,
    /// cutoffs. Exits with status 1 when the placement is unstable or over capacity.
    Audit(AuditArgs),
}

/// The input files and priority options shared by `place` and `audit`.
#[derive(Debug, clap::Args)]
pub struct InputArgs {
    /// Students: `student_id,country,p1..pL,s1..sL` (`pk` k-th choice, `sk` its score).
    #[arg(long, value_name = "S.csv")]
    pub students: PathBuf,
    /// Programmes: `programme_id,capacity[,quota_CN,quota_KZ,quota_KG,quota_TJ,quota_TM,quota_UZ]`.
    #[arg(long, value_name = "P.csv")]
    pub programmes: PathBuf,
    /// Lottery `student_id,stb,t1..tL`: priority classes `floor(score / W)`, ties broken by lottery.
    #[arg(long, value_name = "L.csv")]
    pub lottery: Option<PathBuf>,
    /// Which lottery numbers break ties: `stb` (single) or `tk` for the k-th choice (multiple).
    #[arg(long, value_enum, default_value_t = TieBreakArg::Single, requires = "lottery")]
    pub tie_break: TieBreakArg,
    /// Width W of a priority class, with a lottery.
    #[arg(long, value_name = "W", default_value_t = 1, requires = "lottery",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub score_band: u32,
    /// Longest choice list the call allows (default: as many as the file has columns).
    #[arg(long, value_name = "L")]
    pub max_choices: Option<usize>,
}

/// Options of `caravan scholarship place`.
#[derive(Debug, clap::Args)]
pub struct PlaceArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The mechanism.
    #[arg(long, value_enum, default_value_t = MechanismArg::Da)]
    pub mechanism: MechanismArg,
    /// Band size e of the parallel mechanism (choices per round).
    #[arg(long, value_name = "E", required_if_eq("mechanism", "parallel"),
          value_parser = clap::value_parser!(u64).range(1..))]
    pub band: Option<u64>,
    /// Where to write `student_id,programme_id,rank` (gzipped if it ends in `.gz`).
    #[arg(long, value_name = "MATCH.csv")]
    pub out: PathBuf,
}

/// Options of `caravan scholarship audit`.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The placement to audit: `student_id,programme_id,rank`.
    #[arg(long, value_name = "MATCH.csv")]
    pub matching: PathBuf,
    /// A second placement of the same students to compare with.
    #[arg(long, value_name = "OTHER.csv")]
    pub compare: Option<PathBuf>,
    /// Write per-programme cutoffs here:
    /// `programme_id,country,seats,placed,last_student_id,last_score,binding`.
    #[arg(long, value_name = "CUTOFFS.csv")]
    pub cutoffs: Option<PathBuf>,
}

/// `--mechanism` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MechanismArg {
    /// Student-proposing deferred acceptance.
    Da,
    /// Programme-proposing deferred acceptance.
    DaProgramme,
    /// Immediate acceptance ("Boston").
    Ia,
    /// Chinese parallel mechanism; needs --band.
    Parallel,
    /// Top trading cycles.
    Ttc,
    /// Serial dictatorship by best priority.
    Serial,
}

/// `--tie-break` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TieBreakArg {
    /// One number per student (`stb`).
    Single,
    /// One number per student and choice (`t1..tL`).
    Multiple,
}

/// Runs a `caravan scholarship` subcommand.
///
/// # Errors
/// Unreadable or invalid input, with the file, line and column; unwritable output.
pub fn run(cmd: Command) -> Result<ExitCode> {
    let res = match cmd {
        Command::Place(args) => run_place(&args),
        Command::Audit(args) => run_audit(&args),
    };
    match res {
        Err(err) if is_broken_pipe(&err) => Ok(ExitCode::SUCCESS),
        other => other,
    }
}

pub(crate) fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>().is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// The one writer of standard output.
pub(crate) fn stdout() -> io::StdoutLock<'static> {
    io::stdout().lock()
}

pub(crate) fn spinner(message: &'static str) -> indicatif::ProgressBar {
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} {pos} [{elapsed}]")
            .expect("the template is valid"),
    );
    bar.set_message(message);
    let bar = bar.with_finish(indicatif::ProgressFinish::AndClear);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// Everything `place` and `audit` read.
struct Loaded {
    students: read::Students,
    programmes: read::Programmes,
    instance: Instance,
}

fn load(input: &InputArgs) -> Result<Loaded> {
    let bar = spinner("reading programmes");
    let programmes = read::programmes(&input.programmes)?;
    bar.set_message("reading students");
    let students = read::students(&input.students, &programmes, &bar)?;
    let rule = match &input.lottery {
        None => PriorityRule { score_band: 1, tie_break: TieBreak::StudentId },
        Some(path) => {
            bar.set_message("reading the lottery");
            let multiple = input.tie_break == TieBreakArg::Multiple;
            read::lottery(path, &students, multiple, input.score_band)?
        }
    };
    bar.set_message("checking the input");
    let limits = CallLimits { max_choices: input.max_choices };
    let instance =
        read::instance(&input.students, &input.programmes, &students, &programmes, &rule, limits)?;
    bar.finish_and_clear();
    Ok(Loaded { students, programmes, instance })
}

fn run_place(args: &PlaceArgs) -> Result<ExitCode> {
    let loaded = load(&args.input)?;
    let mechanism = match args.mechanism {
        MechanismArg::Da => Mechanism::StudentProposingDa,
        MechanismArg::DaProgramme => Mechanism::ProgrammeProposingDa,
        MechanismArg::Ia => Mechanism::ImmediateAcceptance,
        MechanismArg::Parallel => {
            let band =
                args.band.context("--mechanism parallel needs --band E (choices per round)")?;
            Mechanism::Parallel { band: usize::try_from(band).unwrap_or(usize::MAX) }
        }
        MechanismArg::Ttc => Mechanism::TopTradingCycles,
        MechanismArg::Serial => Mechanism::SerialDictatorship,
    };
    let bar = spinner("placing");
    let start = Instant::now();
    let matching = place(&loaded.instance, mechanism);
    let elapsed = start.elapsed();
    bar.finish_and_clear();
    write_matching(&args.out, &loaded, &matching).with_context(|| {
        format!("writing {}: check the directory exists and is writable", args.out.display())
    })?;
    let mut out = stdout();
    let n = loaded.instance.n_students();
    writeln!(
        out,
        "placed {} of {n} students with {mechanism:?} in {:.3} s; wrote {}",
        matching.n_matched(),
        elapsed.as_secs_f64(),
        args.out.display()
    )?;
    write_histogram(&mut out, &audit::rank_histogram(&loaded.instance, &matching))?;
    Ok(ExitCode::SUCCESS)
}

fn write_matching(path: &Path, loaded: &Loaded, matching: &Matching) -> Result<()> {
    let file = io::BufWriter::new(std::fs::File::create(path)?);
    if path.extension().is_some_and(|e| e == "gz") {
        let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
        let gz = write_rows(gz, loaded, matching)?;
        gz.finish()?.flush()?;
    } else {
        write_rows(file, loaded, matching)?.flush()?;
    }
    Ok(())
}

/// Writes `student_id,programme_id,rank` rows to `sink` and hands it back for finishing.
fn write_rows<W: Write>(sink: W, loaded: &Loaded, matching: &Matching) -> Result<W> {
    let mut w = csv::Writer::from_writer(sink);
    w.write_record(["student_id", "programme_id", "rank"])?;
    for s in 0..loaded.instance.n_students() {
        let id = loaded.instance.student_id(s).to_string();
        match matching.programme(&loaded.instance, s) {
            Some(p) => {
                let rank = matching.rank(s).to_string();
                w.write_record([id.as_str(), loaded.programmes.ids[p].as_str(), rank.as_str()])?;
            }
            None => w.write_record([id.as_str(), "-1", "0"])?,
        }
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{}", e.error()))
}

fn write_histogram(out: &mut impl Write, histogram: &audit::RankHistogram) -> io::Result<()> {
    writeln!(out, "rank histogram:")?;
    for (k, count) in histogram.by_rank.iter().enumerate() {
        writeln!(out, "  rank {:>2}: {count}", k + 1)?;
    }
    writeln!(out, "  unmatched: {}", histogram.unmatched)
}

fn run_audit(args: &AuditArgs) -> Result<ExitCode> {
    let loaded = load(&args.input)?;
    let (instance, students, programmes) = (&loaded.instance, &loaded.students, &loaded.programmes);
    let matching = read::matching(&args.matching, instance, students, programmes)?;
    let bar = spinner("auditing");
    let violations = audit::feasibility(instance, &matching);
    let pairs = audit::blocking_pairs(instance, &matching);
    bar.finish_and_clear();
    let mut out = stdout();
    let n = instance.n_students();
    writeln!(
        out,
        "placement {}: {} of {n} students placed",
        args.matching.display(),
        matching.n_matched()
    )?;
    write_histogram(&mut out, &audit::rank_histogram(instance, &matching))?;
    if violations.is_empty() {
        writeln!(out, "capacities and quotas: respected")?;
    } else {
        writeln!(out, "capacities and quotas: {} violation(s)", violations.len())?;
        for v in &violations {
            match *v {
                FeasibilityViolation::OverCapacity { programme, placed, capacity } => writeln!(
                    out,
                    "  programme {}: {placed} placed, capacity {capacity}",
                    programmes.ids[programme]
                )?,
                FeasibilityViolation::OverQuota { programme, country, placed, quota } => writeln!(
                    out,
                    "  programme {}: {placed} placed from {country}, quota {quota}",
                    programmes.ids[programme]
                )?,
            }
        }
    }
    if pairs.is_empty() {
        writeln!(out, "stability: stable, no blocking pair")?;
    } else {
        writeln!(out, "stability: UNSTABLE, {} blocking pair(s):", pairs.len())?;
        for pair in &pairs {
            let id = instance.student_id(pair.student);
            let programme = &programmes.ids[pair.programme];
            let score = instance.choice_score(pair.student, pair.choice);
            match pair.outranks {
                None => writeln!(
                    out,
                    "  student {id} (line {}) prefers {programme} (choice {}), which has a free seat",
                    students.lines[pair.student],
                    pair.choice + 1
                )?,
                Some(other) => writeln!(
                    out,
                    "  student {id} (line {}) prefers {programme} (choice {}, score {score}) and outranks placed student {} (score {})",
                    students.lines[pair.student],
                    pair.choice + 1,
                    instance.student_id(other),
                    matching.choice(other).map_or(0, |c| instance.choice_score(other, c)),
                )?,
            }
        }
    }
    if let Some(path) = &args.cutoffs {
        write_cutoffs(path, instance, programmes, &matching).with_context(|| {
            format!("writing {}: check the directory exists and is writable", path.display())
        })?;
        writeln!(out, "cutoffs: wrote {}", path.display())?;
    }
    if let Some(path) = &args.compare {
        let other = read::matching(path, instance, students, programmes)?;
        let cmp = audit::compare(instance, &matching, &other);
        writeln!(
            out,
            "compared with {}: {} better here, {} better there, {} same",
            path.display(),
            cmp.better_in_first.len(),
            cmp.better_in_second.len(),
            cmp.same
        )?;
    }
    out.flush()?;
    Ok(if pairs.is_empty() && violations.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn write_cutoffs(
    path: &Path,
    instance: &Instance,
    programmes: &read::Programmes,
    matching: &Matching,
) -> Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record([
        "programme_id",
        "country",
        "seats",
        "placed",
        "last_student_id",
        "last_score",
        "binding",
    ])?;
    for cut in audit::cutoffs(instance, matching) {
        let (last_id, last_score) =
            cut.last_admitted.map_or((String::new(), String::new()), |(s, score)| {
                (instance.student_id(s).to_string(), score.to_string())
            });
        w.write_record([
            programmes.ids[cut.programme].clone(),
            cut.country.map_or(String::new(), |c| c.to_string()),
            cut.seats.to_string(),
            cut.placed.to_string(),
            last_id,
            last_score,
            cut.is_binding().to_string(),
        ])?;
    }
    w.flush()?;
    Ok(())
}
