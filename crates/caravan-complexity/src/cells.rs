//! The cell table of a complexity run, the one output contract of `caravan trade complexity` and
//! the server's complexity CSV: which `(location, product)` cells of a period it lists
//! ([`CellSet`], [`panel_cells`]) and the text of each row ([`push_cell_row`]), so that both shells
//! write the same bytes for the same input.
//!
//! Text only: the callers own the files and the HTTP bodies.

use ndarray::{ArrayView2, Axis};

use crate::Complexity;

/// Which cells of each period the cell table lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CellSet {
    /// py-ecomplexity 0.5.3's panel (`ComplexityData.create_full_df`, then the outer merge of
    /// `conform_to_original_data`): every location x product of the period whose location total
    /// and product total are both non-zero, a cell absent from the input with value 0; plus the
    /// input cells of zero-total locations or products, whose measures are empty (NaN), as the
    /// peer's outer merge gives them back.
    #[default]
    Panel,
    /// Only the input rows, in input order.
    Input,
}

/// A cell of the table to write, by the period's dense indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub location: usize,
    pub product: usize,
    /// False for a cell outside py-ecomplexity's panel (its location or product has a zero
    /// total): its measures are written empty, as the peer leaves them.
    pub measured: bool,
}

/// The cells of one period's `locations x products` table that [`CellSet::Panel`] lists, in
/// row-major order (each location's products in the period's product order).
///
/// `input_cells` are the `(location, product)` cells present in the input; they are listed even
/// when their location or product has a zero total (then with `measured` false).
///
/// # Panics
/// When an input cell is outside the table.
pub fn panel_cells(
    values: ArrayView2<'_, f64>,
    input_cells: impl IntoIterator<Item = (usize, usize)>,
) -> Vec<Cell> {
    let (n_locations, n_products) = values.dim();
    let location_total = values.sum_axis(Axis(1));
    let product_total = values.sum_axis(Axis(0));
    let mut listed = vec![false; n_locations * n_products];
    for (l, p) in input_cells {
        assert!(l < n_locations && p < n_products, "input cell ({l}, {p}) outside the table");
        listed[l * n_products + p] = true;
    }
    let mut res = Vec::with_capacity(n_locations * n_products);
    for l in 0..n_locations {
        for p in 0..n_products {
            let measured = location_total[l] != 0.0 && product_total[p] != 0.0;
            if measured || listed[l * n_products + p] {
                res.push(Cell { location: l, product: p, measured });
            }
        }
    }
    res
}

/// The header line (with its line break) of the cell table: the four input column names, then
/// [`Complexity::CELL_COLUMNS`].
pub fn cell_header(names: [&str; 4]) -> String {
    let mut res: Vec<String> = names.iter().map(|n| csv_field(n)).collect();
    res.extend(Complexity::CELL_COLUMNS.iter().map(|c| (*c).to_owned()));
    let mut line = res.join(",");
    line.push('\n');
    line
}

/// A CSV field (RFC 4180): quoted, with doubled quotes, when it holds a comma, quote or line
/// break.
pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// Appends the shortest round-trip text of `x` (ryu), whole numbers without `.0`, NaN and
/// infinities as an empty field.
pub fn push_number(text: &mut Vec<u8>, x: f64) {
    if x.is_finite() {
        let mut buffer = ryu::Buffer::new();
        let digits = buffer.format_finite(x);
        text.extend_from_slice(digits.strip_suffix(".0").unwrap_or(digits).as_bytes());
    }
}

/// Appends one row of the cell table with its line break: the three labels (already passed
/// through [`csv_field`]), the value, then `res.cell(location, product)`, or empty fields when
/// the cell is not `measured`.
///
/// # Panics
/// When the cell is outside `res`.
pub fn push_cell_row(
    text: &mut Vec<u8>,
    labels: [&str; 3],
    value: f64,
    res: &Complexity,
    cell: Cell,
) {
    for (idx, label) in labels.iter().enumerate() {
        if idx > 0 {
            text.push(b',');
        }
        text.extend_from_slice(label.as_bytes());
    }
    text.push(b',');
    push_number(text, value);
    let measures = if cell.measured {
        res.cell(cell.location, cell.product)
    } else {
        [f64::NAN; Complexity::CELL_COLUMNS.len()]
    };
    for x in measures {
        text.push(b',');
        push_number(text, x);
    }
    text.push(b'\n');
}

#[cfg(test)]
mod tests;
