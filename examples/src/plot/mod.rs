//! Figures as SVG and PNG.

mod chart;
mod figures;
mod png;

pub use chart::{LineChart, PlotError, Series};
pub use figures::{PALETTE, accuracy_along, reliability, reliability_points};
pub use png::encode_png;
