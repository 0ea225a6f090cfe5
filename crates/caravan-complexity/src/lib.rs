//! Trade analytics as pure numeric functions: revealed comparative advantage, economic complexity
//! (ECI/PCI), product proximity, density, complexity outlook (COI/COG), export concentration and
//! growth.
//!
//! Every function takes values (slices, `ndarray` views) and returns values; nothing here opens a
//! file, reads a clock or draws a random number. Matrices are `locations x products`, row-major.
//! Labels (ISO3 codes, HS codes, years) stay in the callers: this crate works on dense indices, so
//! it accepts any classification (HS92 4-digit, HS6, SITC) and any location code list.
//!
//! The reference implementation is the Growth Lab's py-ecomplexity 0.5.3 (the Atlas of Economic
//! Complexity); the Stata `ecomplexity` command's conventions are available as
//! [`Convention::Stata`]. See [`complexity`] for the formulas and the derivation of the
//! eigenvector method used here.

mod cells;
mod complexity;
mod concentration;
mod eigen;
mod growth;
mod layout;
mod neighbours;
mod opportunities;
mod proximity;

pub use cells::{Cell, CellSet, cell_header, csv_field, panel_cells, push_cell_row, push_number};
pub use complexity::{
    Complexity, ComplexityConfig, ComplexityError, ComplexityWarning, Convention, Presence,
    complexity, rca,
};
pub use concentration::{Concentration, ConcentrationError, concentration};
pub use growth::{
    FlowDirection, GroupGrowth, GrowthError, MirrorGap, MirrorRow, ReportedFlow, cagr,
    group_growth, mirror_flows, mirror_gap, period_growth,
};
pub use layout::{force_layout, product_space_edges};
pub use opportunities::opportunities;
pub use proximity::{ProximityKind, continuous_proximity, discrete_proximity};
