//! A printable HTML page of a verdict, for the trader to keep with the export file.

use std::fmt::Write;

use crate::assess::Verdict;

/// Escapes text for HTML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

/// Renders a verdict as a self-contained, printable HTML page (no scripts, print stylesheet inline).
pub fn render_html(verdict: &Verdict<'_>) -> String {
    let mut html = String::with_capacity(4096);
    let outcome = if verdict.qualifies {
        "qualifies as originating"
    } else {
        "does not qualify as originating"
    };
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Origin self-assessment: {product}</title>\n\
<style>body{{font-family:serif;max-width:48em;margin:2em auto}}.verdict{{font-size:1.3em;font-weight:bold}}\
.notice{{border:2px solid #a00;padding:.5em}}td,th{{text-align:left;padding:.2em .6em}}@media print{{a{{color:black}}}}</style>\n</head>\n<body>\n\
<h1>Origin self-assessment</h1>\n",
        product = escape(verdict.product.as_str())
    );
    if verdict.illustrative {
        html.push_str("<p class=\"notice\"><strong>ILLUSTRATIVE</strong> rules: not the law of any country.</p>\n");
    }
    if let Some(notice) = verdict.notice {
        let _ = writeln!(html, "<p class=\"notice\">{}</p>", escape(notice));
    }
    let _ = write!(
        html,
        "<table>\n<tr><th>Agreement</th><td>{}</td></tr>\n<tr><th>Product (HS)</th><td>{}</td></tr>\n\
<tr><th>Exporter</th><td>{}</td></tr>\n<tr><th>Price</th><td>{}</td></tr>\n\
<tr><th>Non-originating materials</th><td>{} ({}% of the price)</td></tr>\n</table>\n",
        escape(verdict.agreement),
        escape(verdict.product.as_str()),
        escape(verdict.exporter.as_str()),
        verdict.price,
        verdict.materials.non_originating_value,
        verdict.materials.non_originating_percent,
    );
    let _ = writeln!(html, "<p class=\"verdict\">The product {outcome}.</p>");
    if let Some(rule) = &verdict.rule_applied {
        let _ = writeln!(html, "<p>Rule applied: {}</p>", escape(rule));
    }
    html.push_str("<h2>Step by step</h2>\n<ol>\n");
    for step in &verdict.steps {
        let _ = writeln!(html, "<li>{}</li>", escape(step.trim_start()));
    }
    html.push_str("</ol>\n");
    if !verdict.unclassified.is_empty() {
        html.push_str("<h2>Rules to check by hand</h2>\n<ul>\n");
        for text in &verdict.unclassified {
            let _ = writeln!(html, "<li>{}</li>", escape(text));
        }
        html.push_str("</ul>\n");
    }
    html.push_str("<p>Signature of the exporter: ____________________ Date: __________</p>\n</body>\n</html>\n");
    html
}
