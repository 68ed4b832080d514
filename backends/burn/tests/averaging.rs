//! SWA and EMA of an ordinary burn model through core's averaging.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

mod common;

use burn::prelude::*;
use common::{Mlp, assert_close, values};
use subspace_burn::{Error, ModelEma, ModelSwa, Subspace, SubspaceConfig};
use subspace_core::Shape;

fn weights(m: &Mlp) -> Vec<f32> {
    values(m.fc1.weight.val())
}

#[test]
fn swa_is_the_uniform_average_of_the_models() {
    let device = Device::flex();
    let models: Vec<Mlp> = (0..3).map(|_| Mlp::new(4, 3, 2, &device)).collect();
    let mut swa = ModelSwa::new(&models[0]).unwrap();
    for m in &models[1..] {
        swa.update(m).unwrap();
    }
    assert_eq!(swa.count(), 3);
    let w: Vec<Vec<f32>> = models.iter().map(weights).collect();
    let expected: Vec<f32> = (0..w[0].len())
        .map(|i| ((w[0][i] as f64 + w[1][i] as f64 + w[2][i] as f64) / 3.0) as f32)
        .collect();
    let average = swa.model();
    assert_close("swa", &weights(&average), &expected, 1e-7, 1e-6);
    assert!(
        models
            .iter()
            .all(|m| m.fc1.weight.id != average.fc1.weight.id)
    );
}

#[test]
fn ema_follows_the_decay() {
    let device = Device::flex();
    let (a, b) = (Mlp::new(4, 3, 2, &device), Mlp::new(4, 3, 2, &device));
    let mut ema = ModelEma::new(&a, 0.9).unwrap();
    ema.update(&b).unwrap();
    assert_eq!(ema.updates(), 1);
    let expected: Vec<f32> = weights(&a)
        .iter()
        .zip(weights(&b))
        .map(|(x, y)| (0.9 * *x as f64 + 0.1 * y as f64) as f32)
        .collect();
    assert_close("ema", &weights(&ema.model()), &expected, 1e-7, 1e-6);
    assert!(ModelEma::new(&a, 1.0).is_err());
}

#[test]
fn averages_refuse_another_architecture() {
    let device = Device::flex();
    let first = Mlp::new(4, 3, 2, &device);
    let mut swa = ModelSwa::new(&first).unwrap();
    let err = swa.update(&Mlp::new(4, 5, 2, &device));
    assert!(matches!(err, Err(Error::LayoutMismatch { .. })));
    // The average survives the failed update.
    assert_eq!(swa.count(), 1);
    assert_eq!(weights(&swa.model()), weights(&first));
}

#[test]
fn swa_of_subspace_midpoints_runs_through_the_same_code() {
    let device = Device::flex().autodiff();
    let sub = Subspace::new(SubspaceConfig::new(Shape::Line, 1), || {
        Mlp::new(4, 3, 2, &device)
    })
    .unwrap();
    let mid = sub.export(&Shape::Line.midpoint().unwrap()).unwrap();
    let mut swa = ModelSwa::new(&mid).unwrap();
    swa.update(&mid).unwrap();
    assert_close(
        "swa of one point",
        &weights(&swa.model()),
        &weights(&mid),
        1e-7,
        1e-6,
    );
}
