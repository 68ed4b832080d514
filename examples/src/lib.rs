//! The paper's experiments on real data: datasets, models, protocol and reports.

#![deny(missing_docs)]

pub mod data;
