//! Small hand-written SVG charts for the web UI and the API: line charts with several series,
//! bar charts, and node-link graphs (scatter with edges). Each chart has axes with ticks and
//! labels, a legend where there are several series, and a `<title>`/`<desc>` for screen readers.
//!
//! The functions return the SVG text; serve it as `image/svg+xml` with [`svg_response`] or inline
//! it in a page with `maud::PreEscaped`. Every label is XML-escaped here, so callers pass raw text.

use std::fmt::Write;

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// Width and height of every chart's viewBox, in SVG user units.
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 420.0;
/// Plot area margins: left, right, top, bottom.
const MARGIN: (f64, f64, f64, f64) = (70.0, 150.0, 40.0, 55.0);

/// Colour-blind-safe categorical palette (Okabe & Ito 2008).
pub const PALETTE: [&str; 8] =
    ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"];

/// One named series of `(x, y)` points; non-finite points are skipped (they break the line).
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// A line chart: several series over a shared numeric x axis.
#[derive(Debug, Clone)]
pub struct LineChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    /// Draw the diagonal `y = x` (Lorenz curves) as a dashed reference line.
    pub diagonal: bool,
}

/// A bar chart: one bar per category.
#[derive(Debug, Clone)]
pub struct BarChart {
    pub title: String,
    pub y_label: String,
    pub bars: Vec<(String, f64)>,
}

/// A node of a [`Graph`], positioned in any coordinates (they are rescaled to the plot).
#[derive(Debug, Clone)]
pub struct Node {
    pub label: String,
    pub x: f64,
    pub y: f64,
    /// Fill colour (CSS colour text).
    pub color: String,
    /// Radius in user units.
    pub radius: f64,
}

/// A node-link graph (or a scatter plot without edges).
#[derive(Debug, Clone)]
pub struct Graph {
    pub title: String,
    pub nodes: Vec<Node>,
    /// `(from, to, weight in 0..=1)`; the weight sets the stroke opacity.
    pub edges: Vec<(usize, usize, f64)>,
    /// Legend entries: colour and label.
    pub legend: Vec<(String, String)>,
}

/// Escapes text for XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// An HTTP response carrying an SVG document.
pub fn svg_response(svg: String) -> Response {
    ([(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")], svg).into_response()
}

/// "Nice" tick values covering `lo..=hi` (Heckbert 1990, "Nice numbers for graph labels").
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) {
        return Vec::new();
    }
    let (lo, hi) = if hi > lo { (lo, hi) } else { (lo - 0.5, lo + 0.5) };
    let raw = (hi - lo) / target.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let first = (lo / step).ceil() * step;
    let mut ticks = Vec::new();
    let mut value = first;
    while value <= hi + step * 1e-9 && ticks.len() < 50 {
        ticks.push(if value.abs() < step * 1e-9 { 0.0 } else { value });
        value += step;
    }
    ticks
}

fn tick_label(value: f64) -> String {
    if value.abs() >= 1e6 || (value != 0.0 && value.abs() < 1e-3) {
        format!("{value:.2e}")
    } else {
        let text = format!("{value:.4}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// The id of a chart's elements, `chart-` and 16 hex digits of FNV-1a 64 over its title and
/// description: the same chart always gets the same id, and two charts inlined in one page (the
/// poverty page shows the Lorenz curve and the growth incidence curve) do not share their
/// `<title>` and `<desc>` ids, which `aria-labelledby` names.
pub fn chart_id(title: &str, desc: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in title.bytes().chain([0]).chain(desc.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("chart-{hash:016x}")
}

fn open(out: &mut String, title: &str, desc: &str) {
    let id = chart_id(title, desc);
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="{id}-title {id}-desc" font-family="sans-serif" font-size="12"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc><rect width="100%" height="100%" fill="#fff"/><text x="{}" y="22" font-size="15" font-weight="bold">{}</text>"##,
        escape(title),
        escape(desc),
        MARGIN.0,
        escape(title)
    );
}

/// Linear map from data range to plot range.
#[derive(Clone, Copy)]
struct Scale {
    d0: f64,
    d1: f64,
    r0: f64,
    r1: f64,
}

impl Scale {
    fn new(d0: f64, d1: f64, r0: f64, r1: f64) -> Scale {
        let (d0, d1) = if d1 > d0 { (d0, d1) } else { (d0 - 0.5, d0 + 0.5) };
        Scale { d0, d1, r0, r1 }
    }

    fn at(self, v: f64) -> f64 {
        self.r0 + (v - self.d0) / (self.d1 - self.d0) * (self.r1 - self.r0)
    }
}

fn extent(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values.filter(|v| v.is_finite()).fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

fn axes(
    out: &mut String,
    x: Scale,
    y: Scale,
    x_ticks: &[f64],
    y_ticks: &[f64],
    labels: (&str, &str),
) {
    let (left, bottom) = (MARGIN.0, HEIGHT - MARGIN.3);
    let right = WIDTH - MARGIN.1;
    let _ = write!(
        out,
        r##"<g class="axes" stroke="#333"><line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}"/><line x1="{left}" y1="{}" x2="{left}" y2="{bottom}"/></g>"##,
        MARGIN.2
    );
    for &t in x_ticks {
        let px = x.at(t);
        let _ = write!(
            out,
            r##"<line x1="{px:.1}" y1="{bottom}" x2="{px:.1}" y2="{:.1}" stroke="#333"/><text x="{px:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            bottom + 5.0,
            bottom + 18.0,
            escape(&tick_label(t))
        );
    }
    for &t in y_ticks {
        let py = y.at(t);
        let _ = write!(
            out,
            r##"<line x1="{left}" y1="{py:.1}" x2="{right}" y2="{py:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            left - 6.0,
            py + 4.0,
            escape(&tick_label(t))
        );
    }
    let _ = write!(
        out,
        r#"<text class="x-label" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text><text class="y-label" transform="translate(16 {:.1}) rotate(-90)" text-anchor="middle">{}</text>"#,
        (left + right) / 2.0,
        HEIGHT - 12.0,
        escape(labels.0),
        (MARGIN.2 + bottom) / 2.0,
        escape(labels.1)
    );
}

fn legend(out: &mut String, entries: &[(String, String)]) {
    let x = WIDTH - MARGIN.1 + 12.0;
    out.push_str(r#"<g class="legend">"#);
    for (idx, (color, label)) in entries.iter().enumerate().take(20) {
        let y = MARGIN.2 + 8.0 + idx as f64 * 18.0;
        let _ = write!(
            out,
            r#"<rect x="{x}" y="{:.1}" width="12" height="12" fill="{}"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            y - 10.0,
            escape(color),
            x + 18.0,
            y,
            escape(label)
        );
    }
    out.push_str("</g>");
}

/// Renders a line chart.
pub fn line_chart(chart: &LineChart) -> String {
    let mut out = String::new();
    let names: Vec<&str> = chart.series.iter().map(|s| s.name.as_str()).collect();
    open(
        &mut out,
        &chart.title,
        &format!("Line chart of {} by {}: {}", chart.y_label, chart.x_label, names.join(", ")),
    );
    let all = || chart.series.iter().flat_map(|s| s.points.iter());
    let (x0, x1) = extent(all().map(|p| p.0)).unwrap_or((0.0, 1.0));
    let (mut y0, y1) = extent(all().map(|p| p.1)).unwrap_or((0.0, 1.0));
    if y0 > 0.0 && y0 < y1 * 0.5 {
        y0 = 0.0;
    }
    let x_ticks = nice_ticks(x0, x1, 6);
    let y_ticks = nice_ticks(y0, y1, 5);
    let x = Scale::new(x0, x1, MARGIN.0, WIDTH - MARGIN.1);
    let y = Scale::new(
        y0.min(y_ticks.first().copied().unwrap_or(y0)),
        y1.max(y_ticks.last().copied().unwrap_or(y1)),
        HEIGHT - MARGIN.3,
        MARGIN.2,
    );
    let y_ticks: Vec<f64> = y_ticks.into_iter().filter(|t| *t >= y.d0 && *t <= y.d1).collect();
    axes(&mut out, x, y, &x_ticks, &y_ticks, (&chart.x_label, &chart.y_label));
    if chart.diagonal {
        let _ = write!(
            out,
            r##"<line class="diagonal" x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#888" stroke-dasharray="4 4"/>"##,
            x.at(x0.max(y.d0)),
            y.at(x0.max(y.d0)),
            x.at(x1.min(y.d1)),
            y.at(x1.min(y.d1))
        );
    }
    let mut entries = Vec::new();
    for (idx, series) in chart.series.iter().enumerate() {
        let color = PALETTE[idx % PALETTE.len()];
        entries.push((color.to_owned(), series.name.clone()));
        let mut d = String::new();
        let mut pen_down = false;
        for &(px, py) in &series.points {
            if !(px.is_finite() && py.is_finite()) {
                pen_down = false;
                continue;
            }
            let _ =
                write!(d, "{}{:.2},{:.2} ", if pen_down { "L" } else { "M" }, x.at(px), y.at(py));
            pen_down = true;
        }
        let _ = write!(
            out,
            r#"<path class="series" data-series="{}" d="{}" fill="none" stroke="{color}" stroke-width="2"><title>{}</title></path>"#,
            escape(&series.name),
            d.trim_end(),
            escape(&series.name)
        );
    }
    legend(&mut out, &entries);
    out.push_str("</svg>");
    out
}

/// Renders a vertical bar chart (negative values hang below zero).
pub fn bar_chart(chart: &BarChart) -> String {
    let mut out = String::new();
    open(
        &mut out,
        &chart.title,
        &format!("Bar chart of {} for {} categories", chart.y_label, chart.bars.len()),
    );
    let (lo, hi) = extent(chart.bars.iter().map(|b| b.1)).unwrap_or((0.0, 1.0));
    let y_ticks = nice_ticks(lo.min(0.0), hi.max(0.0), 5);
    let y = Scale::new(
        lo.min(0.0).min(y_ticks.first().copied().unwrap_or(0.0)),
        hi.max(0.0).max(y_ticks.last().copied().unwrap_or(0.0)),
        HEIGHT - MARGIN.3,
        MARGIN.2,
    );
    let n = chart.bars.len().max(1) as f64;
    let band = (WIDTH - MARGIN.0 - MARGIN.1) / n;
    let x = Scale::new(0.0, n, MARGIN.0, WIDTH - MARGIN.1);
    axes(&mut out, x, y, &[], &y_ticks, ("", &chart.y_label));
    let zero = y.at(0.0);
    for (idx, (label, value)) in chart.bars.iter().enumerate() {
        if !value.is_finite() {
            continue;
        }
        let top = y.at(*value).min(zero);
        let height = (y.at(*value) - zero).abs();
        let left = MARGIN.0 + idx as f64 * band + band * 0.1;
        let _ = write!(
            out,
            r#"<rect class="bar" x="{left:.1}" y="{top:.1}" width="{:.1}" height="{height:.1}" fill="{}"><title>{}: {}</title></rect>"#,
            band * 0.8,
            PALETTE[0],
            escape(label),
            escape(&tick_label(*value))
        );
        if chart.bars.len() <= 30 {
            let _ = write!(
                out,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="end" transform="rotate(-45 {:.1} {:.1})" font-size="10">{}</text>"#,
                left + band * 0.4,
                HEIGHT - MARGIN.3 + 14.0,
                left + band * 0.4,
                HEIGHT - MARGIN.3 + 14.0,
                escape(label)
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// Renders a node-link graph; edges first, nodes on top, each node with a `<title>` tooltip.
pub fn graph(chart: &Graph) -> String {
    let mut out = String::new();
    open(
        &mut out,
        &chart.title,
        &format!("Network of {} nodes and {} links", chart.nodes.len(), chart.edges.len()),
    );
    let (x0, x1) = extent(chart.nodes.iter().map(|n| n.x)).unwrap_or((0.0, 1.0));
    let (y0, y1) = extent(chart.nodes.iter().map(|n| n.y)).unwrap_or((0.0, 1.0));
    let x = Scale::new(x0, x1, MARGIN.0 - 50.0, WIDTH - MARGIN.1 - 10.0);
    let y = Scale::new(y0, y1, HEIGHT - 20.0, MARGIN.2 + 10.0);
    out.push_str(r##"<g class="edges" stroke="#777">"##);
    for &(a, b, w) in &chart.edges {
        let (Some(na), Some(nb)) = (chart.nodes.get(a), chart.nodes.get(b)) else { continue };
        let _ = write!(
            out,
            r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke-opacity="{:.2}"/>"#,
            x.at(na.x),
            y.at(na.y),
            x.at(nb.x),
            y.at(nb.y),
            (0.15 + 0.85 * w.clamp(0.0, 1.0))
        );
    }
    out.push_str(r#"</g><g class="nodes">"#);
    for node in &chart.nodes {
        let _ = write!(
            out,
            r##"<circle class="node" cx="{:.1}" cy="{:.1}" r="{:.1}" fill="{}" stroke="#333" stroke-width="0.5"><title>{}</title></circle>"##,
            x.at(node.x),
            y.at(node.y),
            node.radius,
            escape(&node.color),
            escape(&node.label)
        );
    }
    out.push_str("</g>");
    legend(&mut out, &chart.legend);
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests;
