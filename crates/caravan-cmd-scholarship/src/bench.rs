//! `caravan bench placement`: a seeded synthetic instance with correlated scores (issue 9:
//! 100,000 students x 2,000 programmes, lists of 10; `--large` for 1,000,000 x 20,000),
//! timing deferred acceptance and the stability audit; optionally the same instance through
//! the Python `matching` library for the ratio.

use std::io::Write;
use std::path::Path;
use std::process::Command as Process;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use caravan_matching::synthetic::{SyntheticConfig, generate};
use caravan_matching::{
    CallLimits, Instance, Matching, Mechanism, PriorityRule, StudentTable, audit,
    deferred_acceptance, place,
};

use crate::{is_broken_pipe, spinner, stdout};

/// Options of `caravan bench placement`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Number of students.
    #[arg(long, default_value_t = 100_000)]
    pub students: usize,
    /// Number of programmes.
    #[arg(long, default_value_t = 2_000)]
    pub programmes: usize,
    /// Choices per student.
    #[arg(long, default_value_t = 10)]
    pub list_len: usize,
    /// Seed of the generator.
    #[arg(long, default_value_t = 2017)]
    pub seed: u64,
    /// The large instance: 1,000,000 students and 20,000 programmes.
    #[arg(long)]
    pub large: bool,
    /// Split every programme's seats by country.
    #[arg(long)]
    pub quotas: bool,
    /// Also time every other mechanism.
    #[arg(long)]
    pub all: bool,
    /// A Python interpreter with `matching==1.4.3` installed: solve the same instance with
    /// its hospital-resident game, check the answers agree and print the time ratio. Slow:
    /// use it with a smaller `--students` (30,000 x 600 takes Python about half a minute).
    #[arg(long, value_name = "PYTHON", conflicts_with = "quotas")]
    pub peer_python: Option<String>,
}

/// Runs `caravan bench placement`.
///
/// # Errors
/// When stdout cannot be written, the generated instance is invalid, deferred acceptance
/// gives an unstable matching, or the Python peer fails or disagrees.
pub fn bench(args: BenchArgs) -> Result<()> {
    let config = SyntheticConfig {
        n_students: if args.large { 1_000_000 } else { args.students },
        n_programmes: if args.large { 20_000 } else { args.programmes },
        list_len: args.list_len,
        seats_percent: 90,
        quotas: args.quotas,
    };
    match bench_inner(&config, &args) {
        Err(err) if is_broken_pipe(&err) => Ok(()),
        other => other,
    }
}

fn bench_inner(config: &SyntheticConfig, args: &BenchArgs) -> Result<()> {
    let mut out = stdout();
    writeln!(
        out,
        "placement benchmark: {} students x {} programmes, lists of {}, seed {}, {} cores",
        config.n_students,
        config.n_programmes,
        config.list_len,
        args.seed,
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
    )?;
    let bar = spinner("generating");
    let start = Instant::now();
    let (table, specs) = generate(config, args.seed);
    let t_generate = start.elapsed();
    bar.set_message("building the instance");
    let start = Instant::now();
    let instance = Instance::new(&table, &specs, &PriorityRule::default(), CallLimits::default())
        .map_err(|errs| anyhow::anyhow!("generated instance is invalid: {}", errs[0]))?;
    let t_build = start.elapsed();
    // The best of three runs: the machine may be shared, and the first run pays page faults.
    bar.set_message("deferred acceptance");
    let (matching, t_da) = best_of_three(|| deferred_acceptance(&instance));
    bar.set_message("stability audit");
    let ((pairs, violations), t_audit) = best_of_three(|| {
        (audit::blocking_pairs(&instance, &matching), audit::feasibility(&instance, &matching))
    });
    bar.finish_and_clear();
    if !pairs.is_empty() || !violations.is_empty() {
        bail!(
            "deferred acceptance gave an unstable or infeasible matching ({} blocking pairs): a bug, please report it",
            pairs.len()
        );
    }
    let line = |name: &str, secs: f64, note: String| {
        format!("{name:<28} {secs:>10.3} s   {note}").trim_end().to_owned()
    };
    writeln!(out, "{}", line("generate", t_generate.as_secs_f64(), String::new()))?;
    writeln!(out, "{}", line("validate + lay out", t_build.as_secs_f64(), String::new()))?;
    let placed = format!("({} placed)", matching.n_matched());
    writeln!(out, "{}", line("deferred acceptance", t_da.as_secs_f64(), placed))?;
    let note = "(0 blocking pairs)".to_owned();
    writeln!(out, "{}", line("stability audit", t_audit.as_secs_f64(), note))?;
    if args.all {
        for mechanism in [
            Mechanism::ProgrammeProposingDa,
            Mechanism::ImmediateAcceptance,
            Mechanism::Parallel { band: 3 },
            Mechanism::TopTradingCycles,
            Mechanism::SerialDictatorship,
        ] {
            let (m, elapsed) = best_of_three(|| place(&instance, mechanism));
            let secs = elapsed.as_secs_f64();
            let placed = format!("({} placed)", m.n_matched());
            writeln!(out, "{}", line(&format!("{mechanism:?}"), secs, placed))?;
        }
    }
    if let Some(python) = &args.peer_python {
        let bar = spinner("running the Python peer");
        let (peer_secs, peer) = run_python_peer(python, &table, &specs, &instance)?;
        bar.finish_and_clear();
        let cmp = audit::compare(&instance, &matching, &peer);
        let agree = cmp.better_in_first.is_empty() && cmp.better_in_second.is_empty();
        writeln!(out, "{}", line("python matching 1.4.3 (HR)", peer_secs, String::new()))?;
        writeln!(
            out,
            "peer_s / ours_s = {:.0}  (deferred acceptance only; same matching: {})",
            peer_secs / t_da.as_secs_f64().max(1e-9),
            if agree { "yes" } else { "NO" }
        )?;
        if !agree {
            bail!(
                "the Python peer's matching differs for {} students",
                cmp.better_in_first.len() + cmp.better_in_second.len()
            );
        }
    }
    out.flush()?;
    Ok(())
}

/// Runs `f` three times; returns its last result and the shortest time.
fn best_of_three<T>(mut f: impl FnMut() -> T) -> (T, std::time::Duration) {
    let start = Instant::now();
    let mut res = f();
    let mut best = start.elapsed();
    for _ in 0..2 {
        let start = Instant::now();
        res = f();
        best = best.min(start.elapsed());
    }
    (res, best)
}

/// The peer script: builds the library's hospital-resident game from our CSV files, with
/// each programme ranking its applicants by score then student id (issue 9's priority), and
/// times `solve(optimal="resident")` alone. Its game constructor deep-copies recursively,
/// hence the large recursion limit and thread stack.
const PEER_SCRIPT: &str = r#"
import csv, sys, threading, time, warnings
warnings.filterwarnings("ignore")
sys.setrecursionlimit(10**7)
threading.stack_size(1 << 29)
from matching.games import HospitalResident
d = sys.argv[1]
students, scores = {}, {}
with open(d + "/students.csv") as f:
    for row in csv.reader(f):
        sid, progs, sc = int(row[0]), [int(x) for x in row[1::2]], [int(x) for x in row[2::2]]
        students[sid] = progs
        for p, s in zip(progs, sc):
            scores[(sid, p)] = s
caps = {}
with open(d + "/programmes.csv") as f:
    for row in csv.reader(f):
        caps[int(row[0])] = int(row[1])
apps = {p: [] for p in caps}
for sid, progs in students.items():
    for p in progs:
        apps[p].append(sid)
hosp = {p: sorted(a, key=lambda s: (-scores[(s, p)], s)) for p, a in apps.items()}
box = {}
def work():
    game = HospitalResident.create_from_dictionaries(students, hosp, caps, clean=False)
    t = time.perf_counter()
    game.solve(optimal="resident")
    box["secs"] = time.perf_counter() - t
    box["game"] = game
th = threading.Thread(target=work)
th.start()
th.join()
with open(d + "/peer.csv", "w") as f:
    for r in box["game"].residents:
        f.write(f"{r.name},{-1 if r.matching is None else r.matching.name}\n")
print(box["secs"])
"#;

fn run_python_peer(
    python: &str,
    table: &StudentTable,
    specs: &[caravan_matching::ProgrammeSpec],
    instance: &Instance,
) -> Result<(f64, Matching)> {
    let dir = tempfile::tempdir().context("creating a temporary directory for the peer")?;
    write_peer_input(dir.path(), table, specs).context("writing the peer's input")?;
    let script = dir.path().join("peer.py");
    std::fs::write(&script, PEER_SCRIPT).context("writing the peer script")?;
    let output = Process::new(python)
        .arg(&script)
        .arg(dir.path())
        .output()
        .with_context(|| format!("running {python}: is it a Python interpreter?"))?;
    if !output.status.success() {
        bail!(
            "the Python peer failed; is `matching==1.4.3` installed for {python}?\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let secs: f64 = text
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .with_context(|| format!("the Python peer printed no time: {text:?}"))?;
    let answer = std::fs::read_to_string(dir.path().join("peer.csv"))
        .context("reading the peer's matching")?;
    let mut choices = vec![None; instance.n_students()];
    for row in answer.lines() {
        let (student, programme) = row.split_once(',').context("a peer row without a comma")?;
        let student: usize = student.parse().context("a peer row with a bad student")?;
        let programme: i64 = programme.parse().context("a peer row with a bad programme")?;
        if let (Some(slot), Ok(programme)) = (choices.get_mut(student), usize::try_from(programme))
        {
            *slot = instance.position_of(student, programme);
        }
    }
    Ok((secs, Matching::from_choices(instance, &choices)?))
}

/// Students as `index,p1,s1,p2,s2,...` and programmes as `index,capacity`, no header.
fn write_peer_input(
    dir: &Path,
    table: &StudentTable,
    specs: &[caravan_matching::ProgrammeSpec],
) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::new(std::fs::File::create(dir.join("students.csv"))?);
    for s in 0..table.len() {
        write!(w, "{s}")?;
        for (p, score) in table.choices(s) {
            write!(w, ",{p},{score}")?;
        }
        writeln!(w)?;
    }
    w.flush()?;
    let mut w = std::io::BufWriter::new(std::fs::File::create(dir.join("programmes.csv"))?);
    for (p, spec) in specs.iter().enumerate() {
        writeln!(w, "{p},{}", spec.capacity)?;
    }
    w.flush()
}
