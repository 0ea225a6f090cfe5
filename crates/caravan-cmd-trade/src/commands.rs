//! The `caravan trade` subcommands: read, compute with `caravan-complexity`, write CSV.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use caravan_complexity::{
    Cell, Complexity, ComplexityConfig, Convention, Presence, ProximityKind, cell_header,
    complexity, concentration, csv_field, group_growth, panel_cells, push_cell_row,
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::input::{Columns, LongTable, Period, find_column, open_table, periods, read_long_table};
use crate::{
    CellsArg, ComplexityArgs, ConcentrationArgs, ConventionArg, GrowthArgs, MirrorArgs, Output,
    PresenceArg, ProximityArg,
};

/// A progress bar on stderr (hidden when stderr is not a terminal).
fn progress_bar(message: &'static str, bytes: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let template = if bytes {
        "{msg} [{bar:30}] {bytes}/{total_bytes} ({eta})"
    } else {
        "{msg} [{bar:30}] {pos}/{len} ({eta})"
    };
    bar.set_style(
        ProgressStyle::with_template(template).expect("valid template").progress_chars("=> "),
    );
    bar.set_message(message);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn config_of(args: &ComplexityArgs, keep_proximity: bool) -> ComplexityConfig {
    ComplexityConfig {
        rca_threshold: args.rca_threshold,
        presence: match args.presence {
            PresenceArg::Rca => Presence::Rca,
            PresenceArg::Continuous => Presence::Continuous,
        },
        proximity: match args.proximity {
            ProximityArg::Symmetric => ProximityKind::Symmetric,
            ProximityArg::Asymmetric => ProximityKind::Asymmetric,
        },
        convention: match args.convention {
            ConventionArg::Ecomplexity => Convention::Ecomplexity,
            ConventionArg::Stata => Convention::Stata,
        },
        keep_proximity,
    }
}

fn create_file(path: &Path) -> Result<File> {
    File::create(path).with_context(|| {
        format!("creating {}; check that its folder exists and is writable", path.display())
    })
}

fn create(path: &Path) -> Result<csv::Writer<BufWriter<File>>> {
    Ok(csv::WriterBuilder::new().from_writer(BufWriter::with_capacity(1 << 20, create_file(path)?)))
}

/// Where a command's CSV goes: `--out` when given, else standard output.
fn sink(out: Option<&Path>) -> Result<Box<dyn Write>> {
    Ok(match out {
        Some(path) => Box::new(BufWriter::new(create_file(path)?)),
        None => Box::new(Output::stdout()),
    })
}

fn read_and_compute(
    args: &ComplexityArgs,
    keep_proximity: bool,
) -> Result<(LongTable, Vec<Period>, Vec<Complexity>)> {
    let columns = Columns {
        time: Some(&args.time),
        location: &args.location,
        product: Some(&args.product),
        value: &args.value,
    };
    let table = read_long_table(&args.input, &columns, &progress_bar("reading", true))?;
    let what = args.input.display().to_string();
    let periods = periods(&table, args.sum_duplicates, &what)?;
    let config = config_of(args, keep_proximity);
    let bar = progress_bar("computing", false);
    bar.set_length(periods.len() as u64);
    let mut results = Vec::with_capacity(periods.len());
    for (time_idx, period) in periods.iter().enumerate() {
        let time = &table.times.names[time_idx];
        let res = complexity(period.values.view(), &config)
            .with_context(|| format!("{what}, {} {time}", args.time))?;
        for warning in &res.warnings {
            bar.suspend(|| eprintln!("warning: {what}, {} {time}: {warning}", args.time));
        }
        results.push(res);
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok((table, periods, results))
}

/// A cell of the input table as written: (period, cell, input value).
type InputRow = (u32, Cell, f64);

/// `caravan trade complexity`: with `--cells panel` (the default) every cell of each period's
/// panel (`caravan_complexity::panel_cells`), period by period in row-major order; with
/// `--cells input` one row per input row, in input order. The rows are written by
/// `caravan_complexity::push_cell_row`, as the server's CSV is. Returns the number of rows written.
pub(crate) fn complexity_cmd(args: &ComplexityArgs) -> Result<usize> {
    let (table, periods, results) = read_and_compute(args, false)?;
    let mut out = BufWriter::with_capacity(1 << 20, create_file(&args.out)?);
    out.write_all(cell_header([&args.time, &args.location, &args.product, &args.value]).as_bytes())
        .with_context(|| format!("writing {}", args.out.display()))?;
    // Labels are quoted once (RFC 4180), numbers never need quoting.
    let times: Vec<String> = table.times.names.iter().map(|t| csv_field(t)).collect();
    let locations: Vec<String> = table.locations.names.iter().map(|t| csv_field(t)).collect();
    let products: Vec<String> = table.products.names.iter().map(|t| csv_field(t)).collect();
    // The rows to write, by period: the input's cells with their input values, or the panel's
    // cells, whose values are read from the period's table as they are written (a list of
    // (period, cell, value) for the whole panel cost fresh pages for tens of megabytes).
    let (input_rows, panel): (Vec<InputRow>, Vec<Vec<Cell>>) = match args.cells {
        CellsArg::Input => {
            let unset = Cell { location: 0, product: 0, measured: true };
            let mut position = vec![(0u32, unset, 0.0); table.rows.len()];
            for (time_idx, period) in periods.iter().enumerate() {
                let time_idx = u32::try_from(time_idx).expect("few periods");
                for &(row_idx, l, p) in &period.cells {
                    let cell = Cell { location: l as usize, product: p as usize, measured: true };
                    position[row_idx] = (time_idx, cell, table.rows[row_idx].value);
                }
            }
            (position, Vec::new())
        }
        CellsArg::Panel => {
            let cells = periods
                .iter()
                .map(|period| {
                    let input = period.cells.iter().map(|&(_, l, p)| (l as usize, p as usize));
                    panel_cells(period.values.view(), input)
                })
                .collect();
            (Vec::new(), cells)
        }
    };
    let is_panel = matches!(args.cells, CellsArg::Panel);
    let n_rows = if is_panel { panel.iter().map(Vec::len).sum() } else { input_rows.len() };
    let bar = progress_bar("writing", false);
    bar.set_length(n_rows as u64);
    let push_row = |text: &mut Vec<u8>, time_idx: usize, cell: Cell, value: f64| {
        let period = &periods[time_idx];
        let labels = [
            times[time_idx].as_str(),
            locations[period.locations[cell.location] as usize].as_str(),
            products[period.products[cell.product] as usize].as_str(),
        ];
        push_cell_row(text, labels, value, &results[time_idx], cell);
    };
    // Number formatting is most of the writing time: blocks of rows are formatted in parallel and
    // written in order, a bounded number of blocks at a time.
    let format_rows = |range: std::ops::Range<usize>, text: &mut Vec<u8>| {
        text.clear();
        if !is_panel {
            for &(time_idx, cell, value) in &input_rows[range] {
                push_row(text, time_idx as usize, cell, value);
            }
            return;
        }
        // Row `k` of the panel is cell `k - first` of the period whose rows start at `first`.
        let (mut time_idx, mut first) = (0, 0);
        for k in range {
            while k - first >= panel[time_idx].len() {
                first += panel[time_idx].len();
                time_idx += 1;
            }
            let cell = panel[time_idx][k - first];
            let value = periods[time_idx].values[[cell.location, cell.product]];
            push_row(text, time_idx, cell, value);
        }
    };
    // Blocks of 1,024 rows keep the sixteen text buffers small enough to stay in cache and out
    // of fresh pages (8,192-row blocks grew 16 buffers of megabytes by doubling).
    write_in_blocks(n_rows, 1_024, 16, &format_rows, |text, written| {
        out.write_all(text).with_context(|| format!("writing {}", args.out.display()))?;
        bar.set_position(written as u64);
        Ok(())
    })?;
    out.flush().with_context(|| format!("writing {}", args.out.display()))?;
    bar.finish_and_clear();
    Ok(n_rows)
}

/// Formats rows `0..n_rows` in blocks of `block` rows, `blocks_at_once` blocks in parallel, and
/// hands each block's text to `write` in row order with the number of rows written so far.
/// The block buffers are reused from batch to batch (fresh memory costs page faults).
fn write_in_blocks(
    n_rows: usize,
    block: usize,
    blocks_at_once: usize,
    format_rows: &(dyn Fn(std::ops::Range<usize>, &mut Vec<u8>) + Sync),
    mut write: impl FnMut(&[u8], usize) -> Result<()>,
) -> Result<()> {
    let mut texts: Vec<Vec<u8>> = (0..blocks_at_once.max(1)).map(|_| Vec::new()).collect();
    let block = block.max(1);
    let mut first = 0;
    while first < n_rows {
        let ranges: Vec<std::ops::Range<usize>> = (0..texts.len())
            .map(|b| (first + b * block).min(n_rows)..(first + (b + 1) * block).min(n_rows))
            .collect();
        texts
            .par_iter_mut()
            .zip(ranges.par_iter().cloned())
            .for_each(|(text, rows)| format_rows(rows, text));
        for (text, rows) in texts.iter().zip(&ranges) {
            write(text, rows.end)?;
        }
        first = ranges.last().map_or(n_rows, |r| r.end);
    }
    Ok(())
}

/// Shortest round-trip text of `x`; whole numbers without a fraction; NaN as an empty field.
fn format_number(buffer: &mut ryu::Buffer, x: f64) -> &str {
    if !x.is_finite() {
        return "";
    }
    let text = buffer.format_finite(x);
    text.strip_suffix(".0").unwrap_or(text)
}

/// `caravan trade proximity`: every ordered pair of products of each period.
pub(crate) fn proximity(args: &ComplexityArgs) -> Result<ExitCode> {
    let (table, periods, results) = read_and_compute(args, true)?;
    let mut out = create(&args.out)?;
    out.write_record(["time", "product_1", "product_2", "proximity"])
        .with_context(|| format!("writing {}", args.out.display()))?;
    let mut buffer = ryu::Buffer::new();
    for ((time_idx, period), res) in periods.iter().enumerate().zip(&results) {
        let phi = res.proximity.as_ref().context("proximity was requested from the computation")?;
        let time = table.times.names[time_idx].as_str();
        for (p, &prod_1) in period.products.iter().enumerate() {
            for (q, &prod_2) in period.products.iter().enumerate() {
                out.write_record([
                    time,
                    table.products.names[prod_1 as usize].as_str(),
                    table.products.names[prod_2 as usize].as_str(),
                    format_number(&mut buffer, phi[[p, q]]),
                ])
                .with_context(|| format!("writing {}", args.out.display()))?;
            }
        }
    }
    out.flush().with_context(|| format!("writing {}", args.out.display()))?;
    Ok(ExitCode::SUCCESS)
}

/// `caravan trade concentration`: one row per (time, location).
pub(crate) fn concentration_cmd(args: &ConcentrationArgs) -> Result<ExitCode> {
    let columns = Columns {
        time: args.time.as_deref(),
        location: &args.location,
        product: Some(&args.product),
        value: &args.value,
    };
    let table = read_long_table(&args.input, &columns, &progress_bar("reading", true))?;
    let what = args.input.display().to_string();
    let periods = periods(&table, args.sum_duplicates, &what)?;
    let mut out = create(&args.out)?;
    let mut header = vec![
        "location",
        "hhi",
        "hhi_normalized",
        "unctad_concentration",
        "finger_kreinin",
        "theil",
        "top1_share",
        "top5_share",
        "n_products",
        "n_rca_ge_1",
    ];
    if args.time.is_some() {
        header.insert(0, "time");
    }
    out.write_record(&header).with_context(|| format!("writing {}", args.out.display()))?;
    let mut buffers: Vec<ryu::Buffer> = (0..7).map(|_| ryu::Buffer::new()).collect();
    for (time_idx, period) in periods.iter().enumerate() {
        let world = period.values.sum_axis(ndarray::Axis(0));
        let world = world.as_slice().expect("fresh array");
        for (l, &location) in period.locations.iter().enumerate() {
            let row = period.values.row(l).to_vec();
            let location_name = table.locations.names[location as usize].as_str();
            let c = match concentration(&row, world) {
                Ok(c) => c,
                Err(caravan_complexity::ConcentrationError::ZeroTotal) => {
                    eprintln!(
                        "warning: {what}: location {location_name:?} has a zero total; skipped"
                    );
                    continue;
                }
                Err(err) => {
                    return Err(err).with_context(|| format!("{what}, location {location_name:?}"));
                }
            };
            let numbers = [
                c.hhi,
                c.hhi_normalized,
                c.unctad_concentration,
                c.finger_kreinin,
                c.theil,
                c.top1_share,
                c.top5_share,
            ];
            let mut fields: Vec<String> = Vec::with_capacity(11);
            if args.time.is_some() {
                fields.push(table.times.names[time_idx].clone());
            }
            fields.push(location_name.to_owned());
            for (buffer, x) in buffers.iter_mut().zip(numbers) {
                fields.push(format_number(buffer, x).to_owned());
            }
            fields.push(c.n_products.to_string());
            fields.push(c.n_rca_ge_1.to_string());
            out.write_record(&fields).with_context(|| format!("writing {}", args.out.display()))?;
        }
    }
    out.flush().with_context(|| format!("writing {}", args.out.display()))?;
    Ok(ExitCode::SUCCESS)
}

/// `caravan trade growth`: one row per group plus a `total` row.
pub(crate) fn growth(args: &GrowthArgs) -> Result<ExitCode> {
    let columns = Columns {
        time: Some(&args.time),
        location: args.group.as_deref().unwrap_or(&args.time),
        product: None,
        value: &args.value,
    };
    let table = read_long_table(&args.input, &columns, &progress_bar("reading", true))?;
    let find_time = |label: &str, flag: &str| -> Result<usize> {
        table.times.names.iter().position(|t| t == label).with_context(|| {
            format!(
                "{}: {flag} {label:?} is not a value of column {:?}",
                args.input.display(),
                args.time
            )
        })
    };
    let from_idx = find_time(&args.from, "--from")?;
    let to_idx = find_time(&args.to, "--to")?;
    let periods = match args.periods {
        Some(n) => n,
        None => match (args.from.parse::<f64>(), args.to.parse::<f64>()) {
            (Ok(a), Ok(b)) => b - a,
            _ => bail!(
                "--from {:?} and --to {:?} are not numbers; pass --periods N",
                args.from,
                args.to
            ),
        },
    };
    let n_groups = if args.group.is_some() { table.locations.names.len() } else { 1 };
    let mut from = vec![0.0; n_groups];
    let mut to = vec![0.0; n_groups];
    for row in &table.rows {
        let g = if args.group.is_some() { row.location as usize } else { 0 };
        if row.time as usize == from_idx {
            from[g] += row.value;
        }
        if row.time as usize == to_idx {
            to[g] += row.value;
        }
    }
    let groups = group_growth(&from, &to, periods).with_context(|| {
        format!(
            "{}: growth from {} to {} over {periods} periods",
            args.input.display(),
            args.from,
            args.to
        )
    })?;
    let total = group_growth(&[from.iter().sum()], &[to.iter().sum()], periods)
        .with_context(|| format!("{}: total growth", args.input.display()))?;
    let names: Vec<&str> = if args.group.is_some() {
        table.locations.names.iter().map(String::as_str).collect()
    } else {
        Vec::new()
    };
    let mut out = csv::Writer::from_writer(sink(args.out.as_deref())?);
    let res = (|| -> Result<()> {
        out.write_record([
            args.group.as_deref().unwrap_or("group"),
            "from",
            "to",
            "periods",
            "value_from",
            "value_to",
            "cagr",
            "growth",
            "share_from",
            "share_to",
            "contribution",
        ])?;
        let mut buffers: Vec<ryu::Buffer> = (0..8).map(|_| ryu::Buffer::new()).collect();
        let rows = names.iter().copied().zip(&groups).chain(std::iter::once(("total", &total[0])));
        for (name, g) in rows {
            let numbers = [
                periods,
                g.value_from,
                g.value_to,
                g.cagr,
                g.growth,
                g.share_from,
                g.share_to,
                g.contribution,
            ];
            let mut fields = vec![name.to_owned(), args.from.clone(), args.to.clone()];
            for (buffer, x) in buffers.iter_mut().zip(numbers) {
                fields.push(format_number(buffer, x).to_owned());
            }
            out.write_record(&fields)?;
        }
        out.flush()?;
        Ok(())
    })();
    match res {
        Ok(()) => Ok(ExitCode::SUCCESS),
        // A closed pipe (`| head`) is not an error (ripgrep's rule).
        Err(err) if is_broken_pipe(&err) => Ok(ExitCode::SUCCESS),
        Err(err) => Err(err.context("writing the growth table")),
    }
}

/// One row of a mirror input, its labels owned.
struct MirrorInput {
    time: String,
    reporter: String,
    partner: String,
    product: String,
    direction: caravan_complexity::FlowDirection,
    value: f64,
}

/// Reads the reported flows of `args.input`: every value a finite number >= 0 and every flow
/// an export or an import, or an error naming the row and column.
fn read_mirror_input(args: &MirrorArgs) -> Result<Vec<MirrorInput>> {
    let path = &args.input;
    let progress = progress_bar("reading", true);
    let input = open_table(path, &progress)?;
    let find = |name: &str, flag: &str| find_column(&input, path, name, flag);
    let reporter = find(&args.reporter, "--reporter")?;
    let partner = find(&args.partner, "--partner")?;
    let flow = find(&args.flow, "--flow")?;
    let value = find(&args.value, "--value")?;
    let time = args.time.as_deref().map(|c| find(c, "--time")).transpose()?;
    let product = args.product.as_deref().map(|c| find(c, "--product")).transpose()?;
    let selected: Vec<usize> =
        [Some(reporter), Some(partner), Some(flow), Some(value), time, product]
            .into_iter()
            .flatten()
            .collect();
    let mut rows = input.rows(&selected)?;
    let mut out = Vec::new();
    while rows.next_row()? {
        let at = rows.position();
        let cell = rows.cell(value);
        let text = cell.text();
        let amount = cell.number().filter(|x| *x >= 0.0).with_context(|| {
            format!(
                "{}, {at}, column {:?}: {:?} is not a number >= 0; fix or remove the row",
                path.display(),
                args.value,
                text.trim()
            )
        })?;
        let flow_text = rows.cell(flow).text();
        let direction =
            caravan_complexity::FlowDirection::parse(&flow_text).with_context(|| {
                format!(
                    "{}, {at}, column {:?}: {:?} is neither an export (X, Export) nor an import \
                 (M, Import); leave re-exports and re-imports out of the mirror comparison",
                    path.display(),
                    args.flow,
                    flow_text.trim()
                )
            })?;
        let label = |col: Option<usize>| {
            col.map_or_else(String::new, |c| rows.cell(c).text().trim().to_owned())
        };
        out.push(MirrorInput {
            time: label(time),
            reporter: label(Some(reporter)),
            partner: label(Some(partner)),
            product: label(product),
            direction,
            value: amount,
        });
    }
    progress.finish_and_clear();
    if out.is_empty() {
        bail!("{}: no data rows", path.display());
    }
    Ok(out)
}

/// `caravan trade mirror`: every flow as its exporter and its importer reported it.
pub(crate) fn mirror(args: &MirrorArgs) -> Result<ExitCode> {
    let input = read_mirror_input(args)?;
    let flows: Vec<caravan_complexity::ReportedFlow<'_>> = input
        .iter()
        .map(|r| caravan_complexity::ReportedFlow {
            time: &r.time,
            reporter: &r.reporter,
            partner: &r.partner,
            product: &r.product,
            direction: r.direction,
            value: r.value,
        })
        .collect();
    let rows = caravan_complexity::mirror_flows(&flows);
    let mut out = csv::Writer::from_writer(sink(args.out.as_deref())?);
    let res = (|| -> Result<()> {
        out.write_record([
            "time",
            "exporter",
            "importer",
            "product",
            "exports_reported",
            "imports_reported",
            "difference",
            "ratio",
        ])?;
        let mut buffer = ryu::Buffer::new();
        let mut number = |x: Option<f64>| {
            x.map_or_else(String::new, |x| format_number(&mut buffer, x).to_owned())
        };
        for row in &rows {
            let gap = row.gap();
            let fields = [
                row.time.clone(),
                row.exporter.clone(),
                row.importer.clone(),
                row.product.clone(),
                number(row.exports_reported),
                number(row.imports_reported),
                number(gap.map(|g| g.difference)),
                number(gap.map(|g| g.ratio)),
            ];
            out.write_record(&fields)?;
        }
        out.flush()?;
        Ok(())
    })();
    match res {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(err) if is_broken_pipe(&err) => Ok(ExitCode::SUCCESS),
        Err(err) => Err(err.context("writing the mirror table")),
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            || cause.downcast_ref::<csv::Error>().is_some_and(|e| {
                matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe)
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows come out once each, in order, whatever the block sizes and however the last batch
    /// falls short.
    #[test]
    fn blocks_are_written_in_row_order() {
        let format = |rows: std::ops::Range<usize>, text: &mut Vec<u8>| {
            text.clear();
            for r in rows {
                text.extend_from_slice(format!("{r}\n").as_bytes());
            }
        };
        let expected: String = (0..1_003).map(|r| format!("{r}\n")).collect();
        for (block, at_once) in [(1, 1), (7, 3), (100, 16), (5_000, 2)] {
            let mut got = Vec::new();
            let mut progress = Vec::new();
            write_in_blocks(1_003, block, at_once, &format, |text, written| {
                got.extend_from_slice(text);
                progress.push(written);
                Ok(())
            })
            .expect("no write fails");
            assert_eq!(String::from_utf8(got).expect("utf-8"), expected, "block {block}");
            assert_eq!(progress.last(), Some(&1_003));
            assert!(progress.windows(2).all(|w| w[0] <= w[1]));
        }
    }
}
