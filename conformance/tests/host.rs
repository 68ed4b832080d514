//! The host-only checks: samplers, metrics and the host golden vectors.

use subspace_conformance::{
    SuiteConfig, check_dirichlet_sampler, check_golden_host, check_layerwise_independence,
    check_metrics, check_metrics_by_hand, check_pair_sampler, check_uniform_sampler,
};

fn config() -> SuiteConfig {
    SuiteConfig::from_env()
}

#[test]
fn uniform_sampler() {
    check_uniform_sampler(&config()).unwrap();
}

#[test]
fn dirichlet_sampler() {
    check_dirichlet_sampler(&config()).unwrap();
}

#[test]
fn layerwise_independence() {
    check_layerwise_independence(&config()).unwrap();
}

#[test]
fn pair_sampler() {
    check_pair_sampler(&config()).unwrap();
}

#[test]
fn metrics() {
    check_metrics(&config()).unwrap();
}

#[test]
fn metrics_by_hand() {
    check_metrics_by_hand().unwrap();
}

#[test]
fn golden_host() {
    check_golden_host().unwrap();
}
