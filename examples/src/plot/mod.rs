//! Figures as SVG and PNG.

mod chart;
mod figures;

pub use chart::{LineChart, PlotError, Series};
pub use figures::{PALETTE, accuracy_along, reliability, reliability_points};
