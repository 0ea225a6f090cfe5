//! The `caravan trade` command line (`complexity`, `proximity`, `concentration`, `growth`) and
//! `caravan bench complexity`: reads trade tables from CSV or Parquet, runs `caravan-complexity`, writes CSV.
//!
//! All output goes through [`Output`], one locked, buffered stdout (or file) writer; progress bars
//! and warnings go to stderr.

mod bench;
mod commands;
mod input;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

pub use bench::{BenchArgs, bench};

/// Presence test (`--presence`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PresenceArg {
    /// `M = 1` when RCA >= the threshold; discrete proximity.
    Rca,
    /// Continuous proximity from RCA correlations; density weighted by RCA.
    Continuous,
}

/// Proximity variant (`--proximity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProximityArg {
    /// Minimum of the two conditional probabilities.
    Symmetric,
    /// P(product_2 | product_1).
    Asymmetric,
}

/// Normalisation convention (`--convention`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ConventionArg {
    /// py-ecomplexity 0.5.3 (the Atlas of Economic Complexity).
    Ecomplexity,
    /// The Stata `ecomplexity` command.
    Stata,
}

/// Which cells `complexity` writes (`--cells`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CellsArg {
    /// py-ecomplexity 0.5.3's panel: every location x product of each period (locations and
    /// products with a non-zero total), absent cells with value 0, plus any other input row.
    Panel,
    /// Only the input rows, in input order.
    Input,
}

/// Options shared by `complexity` and `proximity`.
#[derive(Debug, Clone, clap::Args)]
pub struct ComplexityArgs {
    /// Input CSV with a header row, or Parquet (`.parquet` or the `PAR1` magic bytes), one row
    /// per (time, location, product).
    #[arg(long)]
    pub input: PathBuf,
    /// Column holding the period (for example the year).
    #[arg(long)]
    pub time: String,
    /// Column holding the location (exporter).
    #[arg(long)]
    pub location: String,
    /// Column holding the product code.
    #[arg(long)]
    pub product: String,
    /// Column holding the (export) value.
    #[arg(long)]
    pub value: String,
    /// RCA at or above which a product counts as present.
    #[arg(long, default_value_t = 1.0)]
    pub rca_threshold: f64,
    /// Presence test and density weights.
    #[arg(long, value_enum, default_value_t = PresenceArg::Rca)]
    pub presence: PresenceArg,
    /// Proximity variant.
    #[arg(long, value_enum, default_value_t = ProximityArg::Symmetric)]
    pub proximity: ProximityArg,
    /// Normalisation convention.
    #[arg(long, value_enum, default_value_t = ConventionArg::Ecomplexity)]
    pub convention: ConventionArg,
    /// Add up rows repeating a (time, location, product) instead of rejecting them.
    #[arg(long)]
    pub sum_duplicates: bool,
    /// Cells written by `complexity`: the whole panel of each period (in period, location and
    /// product order of first appearance) or the input rows only (in input order).
    #[arg(long, value_enum, default_value_t = CellsArg::Panel)]
    pub cells: CellsArg,
    /// Output CSV.
    #[arg(long)]
    pub out: PathBuf,
}

/// Options of `concentration`.
#[derive(Debug, Clone, clap::Args)]
pub struct ConcentrationArgs {
    /// Input CSV with a header row, or Parquet (`.parquet` or the `PAR1` magic bytes).
    #[arg(long)]
    pub input: PathBuf,
    /// Column holding the exporter (or partner, to measure concentration by partner).
    #[arg(long)]
    pub location: String,
    /// Column holding the product (or partner) whose shares are measured.
    #[arg(long)]
    pub product: String,
    /// Column holding the value.
    #[arg(long)]
    pub value: String,
    /// Column holding the period; one output row per (time, location) when given.
    #[arg(long)]
    pub time: Option<String>,
    /// Add up repeated (time, location, product) rows instead of rejecting them.
    #[arg(long)]
    pub sum_duplicates: bool,
    /// Output CSV.
    #[arg(long)]
    pub out: PathBuf,
}

/// Options of `growth`.
#[derive(Debug, Clone, clap::Args)]
pub struct GrowthArgs {
    /// Input CSV with a header row, or Parquet (`.parquet` or the `PAR1` magic bytes).
    #[arg(long)]
    pub input: PathBuf,
    /// Column holding the period.
    #[arg(long)]
    pub time: String,
    /// Column holding the value; rows of the same group and period are added up.
    #[arg(long)]
    pub value: String,
    /// Column to break the total down by (partner, product, ...).
    #[arg(long)]
    pub group: Option<String>,
    /// Start period (a value of the time column).
    #[arg(long)]
    pub from: String,
    /// End period (a value of the time column).
    #[arg(long)]
    pub to: String,
    /// Number of periods for the CAGR; default `to - from` when both are numbers.
    #[arg(long)]
    pub periods: Option<f64>,
    /// Output CSV; standard output when absent.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Options of `mirror`.
#[derive(Debug, Clone, clap::Args)]
pub struct MirrorArgs {
    /// Input CSV with a header row, or Parquet (`.parquet` or the `PAR1` magic bytes).
    #[arg(long)]
    pub input: PathBuf,
    /// Column holding the reporting country.
    #[arg(long)]
    pub reporter: String,
    /// Column holding the partner country.
    #[arg(long)]
    pub partner: String,
    /// Column holding the flow: `X`/`Export` or `M`/`Import` (UN Comtrade's codes or words).
    #[arg(long)]
    pub flow: String,
    /// Column holding the value (numbers >= 0).
    #[arg(long)]
    pub value: String,
    /// Column holding the period, when the table has several.
    #[arg(long)]
    pub time: Option<String>,
    /// Column holding the product, to compare flows product by product.
    #[arg(long)]
    pub product: Option<String>,
    /// Output CSV; standard output when absent.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `caravan trade <subcommand>`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// RCA, presence, diversity, ubiquity, ECI, PCI, density, COI and COG for every cell of the
    /// panel (every location x product of each period, as py-ecomplexity) or, with
    /// `--cells input`, for every input row.
    Complexity(ComplexityArgs),
    /// Product proximity per period: `time,product_1,product_2,proximity`.
    Proximity(ComplexityArgs),
    /// Export concentration and diversification indices per location.
    Concentration(ConcentrationArgs),
    /// CAGR, period growth, shares and contributions between two periods.
    Growth(GrowthArgs),
    /// Mirror comparison: each exporter's reported exports against its partner's reported
    /// imports, `time,exporter,importer,product,exports_reported,imports_reported,difference,ratio`.
    Mirror(MirrorArgs),
}

/// Runs one `caravan trade` subcommand.
///
/// # Errors
/// Unreadable or invalid input (naming file, row and column), or an unwritable output.
pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Complexity(args) => commands::complexity_cmd(&args).map(|_| ExitCode::SUCCESS),
        Command::Proximity(args) => commands::proximity(&args),
        Command::Concentration(args) => commands::concentration_cmd(&args),
        Command::Growth(args) => commands::growth(&args),
        Command::Mirror(args) => commands::mirror(&args),
    }
}

/// The one place that writes to standard output.
pub(crate) struct Output(std::io::BufWriter<std::io::StdoutLock<'static>>);

impl Output {
    pub(crate) fn stdout() -> Output {
        Output(std::io::BufWriter::new(std::io::stdout().lock()))
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}
