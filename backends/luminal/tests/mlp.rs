//! The luminal MLP against the reference MLP: logits, loss and gradient, a whole training
//! trajectory, and copies trained by the reference read back through a region file; on the
//! CPU target and, with the `cuda` feature, on the CUDA target.

// Test code: a failed unwrap is a failed test (the checks are generic functions, not #[test]s).
#![allow(clippy::unwrap_used)]

use rand::{RngExt, SeedableRng, rngs::ChaCha8Rng};
use subspace_core::metrics::{Combine, Logits, ensemble, grid};
use subspace_core::{
    Backend, Cos2Config, HostTensor, Momentum, Point, PointSchedule, Region, SgdConfig, Shape,
    Sharing, save_region,
};
use subspace_luminal::mlp::{LoadError, LuminalMlp};
use subspace_luminal::{Luminal, Target};
use subspace_reference::mlp::{Batch, Mlp, PARAMS, TrainConfig, TrainState};
use subspace_reference::{LrSchedule, Reference};

/// `rows` examples of `input` features in `[-2, 2)`; the label of a row is the index of its
/// largest feature among the first `classes` (the MLP needs `input >= classes`), so it can be
/// learned.
fn batch(mlp: &Mlp, rows: usize, seed: u64) -> Batch {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let inputs: Vec<f32> = (0..rows * mlp.input())
        .map(|_| rng.random::<f32>() * 4.0 - 2.0)
        .collect();
    let labels = inputs
        .chunks(mlp.input())
        .map(|row| {
            (0..mlp.classes())
                .max_by(|&a, &b| row[a].total_cmp(&row[b]))
                .unwrap()
        })
        .collect();
    Batch { inputs, labels }
}

fn reference_params(params: &[HostTensor]) -> Vec<subspace_reference::Tensor> {
    params
        .iter()
        .map(|p| Reference::from_host(p, &subspace_reference::Cpu))
        .collect()
}

fn luminal_params<T: Target>(params: &[HostTensor]) -> Vec<subspace_luminal::Tensor> {
    params
        .iter()
        .map(|p| Luminal::<T>::from_host(p, &T::default()))
        .collect()
}

/// Asserts `|got - want| <= tol · max(1, max |want|)` element by element.
fn assert_close(got: &[f32], want: &[f32], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let scale = want.iter().fold(1.0f64, |m, w| m.max((*w as f64).abs()));
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        let err = (*g as f64 - *w as f64).abs();
        assert!(
            err <= tol * scale,
            "{what}[{k}]: {g} vs {w} (scale {scale})"
        );
    }
}

fn assert_logits_close(got: &Logits, want: &Logits, tol: f64, what: &str) {
    assert_eq!((got.rows(), got.classes()), (want.rows(), want.classes()));
    assert_close(got.data(), want.data(), tol, what);
}

fn logits_loss_and_gradient_match_the_reference<T: Target>() {
    for (input, hidden, classes, rows) in
        [(5, 7, 3, 1), (4, 16, 3, 16), (9, 3, 5, 33), (5, 8, 5, 3)]
    {
        let mlp = Mlp::new(input, hidden, classes).unwrap();
        let lum = LuminalMlp::<T>::new(mlp);
        let params = mlp.init(&mut ChaCha8Rng::seed_from_u64(rows as u64));
        let data = batch(&mlp, rows, 7);

        let want = mlp
            .logits(&reference_params(&params), &data.inputs)
            .unwrap();
        let got = lum
            .logits(&luminal_params::<T>(&params), &data.inputs)
            .unwrap();
        assert_logits_close(&got, &want, 1e-5, "logits");

        let want = mlp
            .loss_and_grads(&reference_params(&params), &data)
            .unwrap();
        let got = lum
            .loss_and_grads(&luminal_params::<T>(&params), &data)
            .unwrap();
        assert!(
            (got.loss - want.loss).abs() <= 1e-5 * want.loss.abs().max(1.0),
            "loss {} vs {}",
            got.loss,
            want.loss
        );
        for ((g, w), spec) in got.grads.iter().zip(&want.grads).zip(PARAMS) {
            let w: Vec<f32> = w.iter().copied().collect();
            assert_close(g.data(), &w, 1e-5, spec.name);
        }
    }
}

fn wrong_inputs_are_errors_not_panics<T: Target>() {
    let mlp = Mlp::new(3, 4, 2).unwrap();
    let lum = LuminalMlp::<T>::new(mlp);
    let params = luminal_params::<T>(&mlp.init(&mut ChaCha8Rng::seed_from_u64(0)));
    assert!(lum.logits(&params, &[1.0; 5]).is_err(), "not whole rows");
    assert!(
        lum.logits(&params[..3], &[1.0; 3]).is_err(),
        "three parameters"
    );
    let mut bad = batch(&mlp, 4, 1);
    bad.labels[2] = 2;
    assert!(
        lum.loss_and_grads(&params[..3], &batch(&mlp, 4, 1))
            .is_err(),
        "three parameters"
    );
    assert!(
        lum.loss_and_grads(&params, &bad).is_err(),
        "label 2 of 2 classes"
    );
    let empty = Batch {
        inputs: vec![],
        labels: vec![],
    };
    assert!(lum.loss_and_grads(&params, &empty).is_err(), "empty batch");
    let wrong = luminal_params::<T>(
        &Mlp::new(3, 5, 2)
            .unwrap()
            .init(&mut ChaCha8Rng::seed_from_u64(0)),
    );
    assert!(lum.logits(&wrong, &[1.0; 3]).is_err(), "hidden 5, not 4");
}

fn config(shape: Shape, sharing: Sharing) -> TrainConfig {
    TrainConfig {
        schedule: PointSchedule::new(shape, sharing, 11),
        lr: LrSchedule::Constant(0.05),
        sgd: SgdConfig::new()
            .with_momentum(Momentum::new(0.9))
            .with_weight_decay(1e-4),
        cos2: Cos2Config::default(),
    }
}

/// Every copy of every group, on the host.
fn copies<B: Backend>(region: &Region<B>) -> Vec<Vec<f32>> {
    region
        .groups()
        .iter()
        .flat_map(|g| g.copies.iter())
        .map(|c| B::tensor_to_host(c.clone()).unwrap().into_data())
        .collect()
}

/// The reference trajectory check, replayed by luminal: same initial copies, points, pairs and
/// batches; the losses of every step and the final copies agree within `f32` drift.
fn luminal_training_follows_the_reference_trajectory<T: Target>() {
    let mlp = Mlp::new(6, 12, 3).unwrap();
    let lum = LuminalMlp::<T>::new(mlp);
    let batches: Vec<Batch> = (0..25).map(|s| batch(&mlp, 16, 100 + s)).collect();
    for (shape, sharing) in [
        (Shape::Line, Sharing::Shared),
        (Shape::simplex(3).unwrap(), Sharing::Layerwise),
    ] {
        let cfg = config(shape, sharing);
        let init = mlp.init_copies(shape, 4);
        let reference = TrainState::new(mlp.region(shape, init.clone()).unwrap());
        let (reference, want) =
            subspace_reference::mlp::train(&mlp, &cfg, reference, &batches).unwrap();
        let luminal = TrainState::new(lum.region(shape, init).unwrap());
        let (luminal, got) = subspace_reference::mlp::train(&lum, &cfg, luminal, &batches).unwrap();

        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g.points, w.points, "step {}: the same points", g.step);
            assert!(
                (g.loss - w.loss).abs() <= 1e-4 * w.loss.abs().max(1.0),
                "{shape} step {}: loss {} vs {}",
                g.step,
                g.loss,
                w.loss
            );
            let (gr, wr) = (g.regularizer.unwrap(), w.regularizer.unwrap());
            assert!((gr.cos2 - wr.cos2).abs() <= 1e-4 * wr.cos2.max(1e-3));
        }
        let first_loss = want[0].loss;
        assert!(want[24].loss < first_loss, "the run must learn something");
        for (k, (g, w)) in copies(&luminal.region)
            .iter()
            .zip(copies(&reference.region))
            .enumerate()
        {
            assert_close(g, &w, 1e-4, &format!("{shape}: final tensor {k}"));
        }
    }
}

fn temp_path<T: Target>(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "{}-{}-{name}.safetensors",
        T::NAME,
        std::process::id()
    ))
}

/// Copies trained by the reference, written to a region file and read by luminal, give the
/// reference's logits at every point of the sweep and for the endpoint ensemble.
fn reference_copies_from_a_file_evaluate_like_the_reference<T: Target>() {
    let mlp = Mlp::new(6, 10, 4).unwrap();
    let lum = LuminalMlp::<T>::new(mlp);
    let shape = Shape::Line;
    let batches: Vec<Batch> = (0..10).map(|s| batch(&mlp, 16, 200 + s)).collect();
    let state = TrainState::new(mlp.region(shape, mlp.init_copies(shape, 9)).unwrap());
    let (state, _) =
        subspace_reference::mlp::train(&mlp, &config(shape, Sharing::Shared), state, &batches)
            .unwrap();
    let path = temp_path::<T>("reference-line");
    save_region(&state.region, &path).unwrap();
    let region = lum.load(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(
        copies(&region),
        copies(&state.region),
        "the file is lossless"
    );

    let inputs = batch(&mlp, 20, 300).inputs;
    let points = grid(11).unwrap();
    let got = lum.sweep(&region, &points, &inputs).unwrap();
    for (p, g) in points.iter().zip(&got) {
        let want = mlp.logits_at(&state.region, p, &inputs).unwrap();
        assert_logits_close(g, &want, 1e-5, &format!("logits at {p}"));
    }
    let ends = [Point::curve(0.0).unwrap(), Point::curve(1.0).unwrap()];
    for combine in [Combine::LogitMean, Combine::ProbabilityMean] {
        let got = lum.ensemble(&region, &ends, &inputs, combine).unwrap();
        let members: Vec<Logits> = ends
            .iter()
            .map(|p| mlp.logits_at(&state.region, p, &inputs).unwrap())
            .collect();
        let want = ensemble(&members, combine).unwrap();
        assert_logits_close(&got, &want, 1e-5, &format!("{combine:?} ensemble"));
    }
}

fn a_file_of_another_network_is_rejected<T: Target>() {
    let mlp = Mlp::new(3, 4, 2).unwrap();
    let other = Mlp::new(3, 5, 2).unwrap();
    let region = other
        .region(Shape::Line, other.init_copies(Shape::Line, 0))
        .unwrap();
    let path = temp_path::<T>("other-network");
    save_region(&region, &path).unwrap();
    let err = LuminalMlp::<T>::new(mlp).load(&path).unwrap_err();
    std::fs::remove_file(&path).unwrap();
    assert!(matches!(err, LoadError::Mlp { .. }), "{err}");
}

/// The tests above for one target.
macro_rules! mlp_tests {
    ($module:ident, $target:ty) => {
        mod $module {
            #[test]
            fn logits_loss_and_gradient_match_the_reference() {
                super::logits_loss_and_gradient_match_the_reference::<$target>();
            }
            #[test]
            fn wrong_inputs_are_errors_not_panics() {
                super::wrong_inputs_are_errors_not_panics::<$target>();
            }
            #[test]
            fn luminal_training_follows_the_reference_trajectory() {
                super::luminal_training_follows_the_reference_trajectory::<$target>();
            }
            #[test]
            fn reference_copies_from_a_file_evaluate_like_the_reference() {
                super::reference_copies_from_a_file_evaluate_like_the_reference::<$target>();
            }
            #[test]
            fn a_file_of_another_network_is_rejected() {
                super::a_file_of_another_network_is_rejected::<$target>();
            }
        }
    };
}

mlp_tests!(cpu, subspace_luminal::Cpu);
#[cfg(feature = "cuda")]
mlp_tests!(cuda, subspace_luminal::Cuda);
