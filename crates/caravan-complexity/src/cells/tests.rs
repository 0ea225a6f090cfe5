//! Unit tests of the cell table: which cells the panel lists and the text of a row.

use ndarray::array;

use super::*;
use crate::{ComplexityConfig, complexity};

fn cell(location: usize, product: usize, measured: bool) -> Cell {
    Cell { location, product, measured }
}

#[test]
fn panel_lists_absent_cells_of_nonzero_rows_and_columns() {
    // Location 2 exports nothing; product 2 is exported by nobody.
    let values = array![[3.0, 0.0, 0.0], [1.0, 2.0, 0.0], [0.0, 0.0, 0.0]];
    let input = [(0, 0), (1, 0), (1, 1), (2, 1), (0, 2)];
    // (0, 1) is absent but in the panel; (0, 2) and (2, 1) are input cells outside it.
    assert_eq!(
        panel_cells(values.view(), input),
        [
            cell(0, 0, true),
            cell(0, 1, true),
            cell(0, 2, false),
            cell(1, 0, true),
            cell(1, 1, true),
            cell(2, 1, false)
        ]
    );
}

#[test]
fn rows_are_shortest_numbers_with_empty_nan() {
    let values = array![[3.0, 1.0], [1.0, 2.0], [0.0, 0.0]];
    let res = complexity(values.view(), &ComplexityConfig::default()).unwrap();
    let mut text = Vec::new();
    push_cell_row(&mut text, ["2019", "\"a,b\"", "01"], 0.0, &res, cell(2, 1, false));
    push_cell_row(&mut text, ["2019", "\"a,b\"", "01"], 0.0, &res, cell(2, 1, true));
    assert_eq!(
        String::from_utf8(text).unwrap(),
        "2019,\"a,b\",01,0,,,,,,,,,\n2019,\"a,b\",01,0,,0,0,1,,-1,,,\n"
    );
    let mut text = Vec::new();
    push_number(&mut text, 0.1 + 0.2);
    push_number(&mut text, 1e-7);
    push_number(&mut text, 42.0);
    assert_eq!(String::from_utf8(text).unwrap(), "0.300000000000000041e-742");
    assert_eq!(
        cell_header(["year", "a,b", "p", "v"]),
        "year,\"a,b\",p,v,rca,mcp,diversity,ubiquity,eci,pci,density,coi,cog\n"
    );
}
