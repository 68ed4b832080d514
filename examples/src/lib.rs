//! The paper's experiments on real data: datasets, models, protocol and reports.

#![deny(missing_docs)]

pub mod augment;
pub mod cli;
pub mod config;
pub mod data;
pub mod experiment;
pub mod keyed_rng;
pub mod models;
pub mod plot;
pub mod report;
