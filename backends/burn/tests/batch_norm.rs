//! BatchNorm recalibration: the running statistics become the exact cumulative average of the
//! batch statistics over the given batches; the model's mode and settings are preserved.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use burn::module::Module;
use burn::nn::{BatchNorm, BatchNormConfig};
use burn::prelude::*;
use common::{BnNet, assert_close, batch, values};
use subspace_burn::{Error, recalibrate_batch_norm};

/// Per-channel mean and biased variance of the rows of `x` (`[rows, channels]`), in f64.
fn moments(x: &[f32], channels: usize) -> (Vec<f64>, Vec<f64>) {
    let rows = x.len() / channels;
    let mean: Vec<f64> = (0..channels)
        .map(|c| (0..rows).map(|r| x[r * channels + c] as f64).sum::<f64>() / rows as f64)
        .collect();
    let var = (0..channels)
        .map(|c| {
            (0..rows)
                .map(|r| (x[r * channels + c] as f64 - mean[c]).powi(2))
                .sum::<f64>()
                / rows as f64
        })
        .collect();
    (mean, var)
}

fn average(stats: &[Vec<f64>]) -> Vec<f32> {
    (0..stats[0].len())
        .map(|c| (stats.iter().map(|s| s[c]).sum::<f64>() / stats.len() as f64) as f32)
        .collect()
}

/// Asserts that `bn`'s running mean and variance are the averages of the per-batch moments
/// of `inputs` (`[rows, channels]` each), the inputs `bn` saw.
fn assert_cumulative(what: &str, bn: &BatchNorm, inputs: &[Tensor<2>]) {
    let channels = bn.gamma.val().dims()[0];
    let (means, vars): (Vec<_>, Vec<_>) = inputs
        .iter()
        .map(|x| moments(&values(x.clone()), channels))
        .unzip();
    let stats = [
        ("mean", &bn.running_mean, means),
        ("var", &bn.running_var, vars),
    ];
    for (stat, running, batches) in stats {
        assert_close(
            &format!("{what} {stat}"),
            &values(running.value()),
            &average(&batches),
            1e-6,
            1e-5,
        );
    }
}

/// Batches of different sizes and offsets, so the statistics are far from the initial 0 and 1.
fn batches(device: &Device) -> Vec<Tensor<2>> {
    [(8, 1), (5, 2), (11, 3)]
        .into_iter()
        .map(|(rows, seed)| batch(rows, 5, 3, seed, device).0 * 3.0 + seed as f64)
        .collect()
}

#[test]
fn statistics_are_the_cumulative_average_of_the_batch_statistics() {
    let device = Device::flex().autodiff();
    let model = BnNet::new(5, 6, 3, &device);
    let batches = batches(&device);
    let out = recalibrate_batch_norm(&model, batches.clone(), |m: &BnNet, x| {
        m.forward(x.clone());
    })
    .unwrap();

    // `bn_in` sees the batches themselves.
    assert_cumulative("bn_in", &out.bn_in, &batches);
    // `bn` sees `fc(bn_in(x))` with `bn_in` normalising by the batch's own statistics.
    let probe = model.valid().train();
    let hidden: Vec<Tensor<2>> = batches
        .iter()
        .map(|x| probe.fc.forward(probe.bn_in.forward(x.clone())))
        .collect();
    assert_cumulative("bn", &out.bn, &hidden);

    // Settings and mode are the input's; the input's own statistics are untouched.
    assert_eq!((out.bn_in.momentum, out.bn.momentum), (0.3, 0.1));
    assert_eq!(out.bn.epsilon, model.bn.epsilon);
    assert!(out.bn.training.is_enabled() && out.bn_in.training.is_enabled());
    assert!(out.fc.weight.val().is_require_grad());
    assert_eq!(values(model.bn.running_mean.value()), vec![0.0; 6]);
    assert_eq!(values(model.bn.running_var.value()), vec![1.0; 6]);
    assert_eq!(values(out.fc.weight.val()), values(model.fc.weight.val()));
}

#[test]
fn a_momentum_of_one_is_recognized() {
    // With μ = 1 a forward replaces the statistics with the batch's: the probe from 2^60 gives
    // the batch statistics themselves, different per channel.
    let device = Device::flex().autodiff();
    for (m_in, m_hidden) in [(1.0, 1.0), (1.0, 0.1), (0.5, 1.0)] {
        let model = BnNet {
            bn_in: BatchNormConfig::new(5).with_momentum(m_in).init(&device),
            bn: BatchNormConfig::new(6)
                .with_momentum(m_hidden)
                .init(&device),
            ..BnNet::new(5, 6, 3, &device)
        };
        let batches = batches(&device);
        let out = recalibrate_batch_norm(&model, batches.clone(), |m: &BnNet, x| {
            m.forward(x.clone());
        })
        .unwrap();
        let what = format!("momenta {m_in}, {m_hidden}");
        assert_cumulative(&format!("{what}: bn_in"), &out.bn_in, &batches);
        let probe = model.valid().train();
        let hidden: Vec<Tensor<2>> = batches
            .iter()
            .map(|x| probe.fc.forward(probe.bn_in.forward(x.clone())))
            .collect();
        assert_cumulative(&format!("{what}: bn"), &out.bn, &hidden);
        assert_eq!((out.bn_in.momentum, out.bn.momentum), (m_in, m_hidden));
    }
}

#[test]
fn a_plain_model_comes_back_plain() {
    let device = Device::flex().autodiff();
    let model = BnNet::new(5, 6, 3, &device).valid();
    // burn's BatchNorm takes batch statistics only from inputs on an autodiff device.
    let plain: Vec<Tensor<2>> = batches(&Device::flex());
    let err = recalibrate_batch_norm(&model, plain, |m: &BnNet, x| {
        m.forward(x.clone());
    });
    assert!(matches!(err, Err(Error::NotUpdated { .. })), "{err:?}");
    let batches = batches(&device);
    let out = recalibrate_batch_norm(&model, batches.clone(), |m: &BnNet, x| {
        m.forward(x.clone());
    })
    .unwrap();
    assert!(!out.fc.weight.val().is_autodiff());
    assert!(
        !out.bn.training.is_enabled(),
        "validation mode keeps training flags off"
    );
    assert_cumulative("bn_in", &out.bn_in, &batches);
}

#[test]
fn frozen_layers_and_missing_batches_are_errors() {
    let device = Device::flex().autodiff();
    let model = BnNet::new(5, 6, 3, &device);
    let none: Vec<Tensor<2>> = Vec::new();
    let err = recalibrate_batch_norm(&model, none, |m: &BnNet, x| {
        m.forward(x.clone());
    });
    assert!(matches!(err, Err(Error::NoBatches)));

    let frozen = model.freeze();
    let err = recalibrate_batch_norm(&frozen, batches(&device), |m: &BnNet, x| {
        m.forward(x.clone());
    });
    assert!(matches!(err, Err(Error::NotUpdated { .. })), "{err:?}");
}

#[test]
fn a_model_without_running_statistics_is_unchanged() {
    let device = Device::flex().autodiff();
    let model = common::Mlp::new(5, 4, 3, &device);
    let out = recalibrate_batch_norm(&model, batches(&device), |m: &common::Mlp, x| {
        m.forward(x.clone());
    })
    .unwrap();
    assert_eq!(values(out.fc1.weight.val()), values(model.fc1.weight.val()));
    assert_eq!(out.fc1.weight.id, model.fc1.weight.id);
}
