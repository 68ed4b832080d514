//! The subspace training loop of the reference MLP: it learns, the regularizer separates the
//! copies, standard training runs through the same loop, and resuming is exact.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use rand::{RngExt, SeedableRng, rngs::ChaCha8Rng, seq::SliceRandom};
use subspace_core::metrics::accuracy;
use subspace_core::{
    Backend, Cos2Config, HostTensor, Momentum, Pair, Point, PointSchedule, Region, SgdConfig,
    SgdState, Shape, Sharing, cos2_regularizer,
};
use subspace_reference::mlp::{Batch, Mlp, StepRecord, TrainConfig, TrainState, train};
use subspace_reference::{Cpu, LrSchedule, Reference, Tensor};

const INPUT: usize = 4;
const CLASSES: usize = 3;

/// Three well separated Gaussian-like blobs (sums of uniforms) in 4 dimensions.
fn blobs(rows: usize, seed: u64) -> Batch {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let centers = [
        [2.0, 0.0, -1.0, 0.5],
        [-2.0, 1.5, 0.0, -0.5],
        [0.0, -2.0, 2.0, 1.0],
    ];
    let labels: Vec<usize> = (0..rows).map(|n| n % CLASSES).collect();
    let inputs = labels
        .iter()
        .flat_map(|&y| centers[y].map(|c: f32| c + rng.random::<f32>() - rng.random::<f32>()))
        .collect();
    Batch { inputs, labels }
}

/// `steps` batches of `size` rows drawn by a seeded shuffle of `data`.
fn batches(data: &Batch, size: usize, steps: usize, seed: u64) -> Vec<Batch> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..data.rows()).collect();
    (0..steps)
        .map(|_| {
            order.shuffle(&mut rng);
            let rows = &order[..size];
            Batch {
                inputs: rows
                    .iter()
                    .flat_map(|&r| data.inputs[r * INPUT..(r + 1) * INPUT].iter().copied())
                    .collect(),
                labels: rows.iter().map(|&r| data.labels[r]).collect(),
            }
        })
        .collect()
}

fn config(shape: Shape, sharing: Sharing, beta: f64, lr: LrSchedule) -> TrainConfig {
    TrainConfig {
        schedule: PointSchedule::new(shape, sharing, 3),
        lr,
        sgd: SgdConfig::new()
            .with_momentum(Momentum::new(0.9))
            .with_weight_decay(1e-4),
        cos2: Cos2Config::new(beta, subspace_core::DEFAULT_EPS).unwrap(),
    }
}

fn start(mlp: &Mlp, shape: Shape, seed: u64) -> TrainState {
    TrainState::new(mlp.region(shape, mlp.init_copies(shape, seed)).unwrap())
}

fn mean(x: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = x.collect();
    v.iter().sum::<f64>() / v.len() as f64
}

/// 150 steps on batches of 16 rows of `data` (shuffled with `batch_seed`) at learning rate
/// 0.05 with `β = 1`, from copies drawn with seed 0; asserts that the mean loss of the last
/// 10 steps is under a quarter of the first 10's.
fn learn(mlp: &Mlp, shape: Shape, data: &Batch, batch_seed: u64) -> (TrainState, Vec<StepRecord>) {
    let cfg = config(shape, Sharing::Shared, 1.0, LrSchedule::Constant(0.05));
    let (state, records) = train(
        mlp,
        &cfg,
        start(mlp, shape, 0),
        batches(data, 16, 150, batch_seed),
    )
    .unwrap();
    let first = mean(records[..10].iter().map(|r| r.loss));
    let last = mean(records[140..].iter().map(|r| r.loss));
    assert!(
        last < 0.25 * first,
        "{shape}: loss went from {first} to {last}"
    );
    (state, records)
}

fn train_accuracy(mlp: &Mlp, region: &Region<Reference>, point: &Point, data: &Batch) -> f64 {
    let logits = mlp.logits_at(region, point, &data.inputs).unwrap();
    accuracy(&logits, &data.labels).unwrap()
}

fn final_cos2(region: &Region<Reference>) -> f64 {
    let pair = Pair::new(0, 1, 2).unwrap();
    cos2_regularizer(region, pair, Cos2Config::default())
        .unwrap()
        .cos2
}

#[test]
fn line_learns_a_separable_problem() {
    let mlp = Mlp::new(INPUT, 16, CLASSES).unwrap();
    let data = blobs(90, 1);
    let (state, records) = learn(&mlp, Shape::Line, &data, 2);
    assert!(records.iter().all(|r| r.regularizer.is_some()));
    for a in [0.0, 0.5, 1.0] {
        let acc = train_accuracy(&mlp, &state.region, &Point::curve(a).unwrap(), &data);
        assert!(acc >= 0.95, "accuracy {acc} at a = {a}");
    }
}

#[test]
fn regularizer_keeps_the_line_ends_apart() {
    let mlp = Mlp::new(INPUT, 32, CLASSES).unwrap();
    let data = blobs(90, 4);
    let run = |beta| {
        let cfg = config(
            Shape::Line,
            Sharing::Shared,
            beta,
            LrSchedule::Constant(0.1),
        );
        let (state, _) = train(
            &mlp,
            &cfg,
            start(&mlp, Shape::Line, 7),
            batches(&data, 16, 300, 5),
        )
        .unwrap();
        final_cos2(&state.region)
    };
    let initial = final_cos2(&start(&mlp, Shape::Line, 7).region);
    let (with, without) = (run(1.0), run(0.0));
    assert!(
        without > initial,
        "β = 0: cos² {without} vs initial {initial}"
    );
    assert!(
        with < 0.5 * without,
        "β = 1 gives cos² {with}, β = 0 gives {without}"
    );
}

#[test]
fn standard_training_runs_through_the_same_loop() {
    let mlp = Mlp::new(INPUT, 16, CLASSES).unwrap();
    let data = blobs(90, 8);
    let (state, records) = learn(&mlp, Shape::Point, &data, 9);
    assert!(records.iter().all(|r| r.regularizer.is_none()));
    let acc = train_accuracy(&mlp, &state.region, &Point::Origin, &data);
    assert!(acc >= 0.95, "accuracy {acc}");
}

/// Two steps of standard training equal PyTorch's SGD(momentum μ, weight_decay λ) written out:
/// `v_1 = g_1 + λ w_0`, `w_1 = w_0 − η v_1`, `v_2 = μ v_1 + g_2 + λ w_1`, `w_2 = w_1 − η v_2`.
#[test]
fn weight_decay_is_applied_once_per_copy() {
    let mlp = Mlp::new(INPUT, 5, CLASSES).unwrap();
    let data = blobs(12, 10);
    let (eta, mu, lambda) = (0.1, 0.9, 0.01);
    let mut cfg = config(
        Shape::Point,
        Sharing::Shared,
        0.0,
        LrSchedule::Constant(eta),
    );
    cfg.sgd.weight_decay = lambda;
    let state = start(&mlp, Shape::Point, 1);
    let w0 = weights(&state.region);
    let (state, _) = train(&mlp, &cfg, state, [&data, &data]).unwrap();

    let grad = |w: &[Vec<f64>]| -> Vec<Vec<f64>> {
        let params: Vec<Tensor> = w
            .iter()
            .zip(mlp.param_dims())
            .map(|(w, d)| tensor(w, d))
            .collect();
        let out = mlp.loss_and_grads(&params, &data).unwrap();
        out.grads
            .iter()
            .map(|g| g.iter().map(|&v| v as f64).collect())
            .collect()
    };
    let step = |w: &[Vec<f64>], v_prev: Option<&[Vec<f64>]>| {
        let g = grad(w);
        let v: Vec<Vec<f64>> = (0..4)
            .map(|t| {
                (0..w[t].len())
                    .map(|e| v_prev.map_or(0.0, |v| mu * v[t][e]) + g[t][e] + lambda * w[t][e])
                    .collect()
            })
            .collect();
        let w: Vec<Vec<f64>> = (0..4)
            .map(|t| (0..w[t].len()).map(|e| w[t][e] - eta * v[t][e]).collect())
            .collect();
        (w, v)
    };
    let (w1, v1) = step(&w0, None);
    let (w2, _) = step(&w1, Some(&v1));
    for (got, want) in weights(&state.region).iter().zip(&w2) {
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-5, "{g} vs {w}");
        }
    }
}

fn tensor(w: &[f64], dims: Vec<usize>) -> Tensor {
    let data = w.iter().map(|&v| v as f32).collect();
    Reference::from_host(&HostTensor::new(dims, data).unwrap(), &Cpu)
}

/// Copy 0 of every group, in `f64`.
fn weights(region: &Region<Reference>) -> Vec<Vec<f64>> {
    region
        .groups()
        .iter()
        .map(|g| g.copies[0].iter().map(|&v| v as f64).collect())
        .collect()
}

fn to_host(copies: &[Vec<Tensor>]) -> Vec<Vec<HostTensor>> {
    copies
        .iter()
        .map(|g| {
            g.iter()
                .map(|t| Reference::tensor_to_host(t.clone()).unwrap())
                .collect()
        })
        .collect()
}

fn from_host(copies: &[Vec<HostTensor>]) -> Vec<Vec<Tensor>> {
    copies
        .iter()
        .map(|g| g.iter().map(|t| Reference::from_host(t, &Cpu)).collect())
        .collect()
}

#[test]
fn resuming_from_saved_state_is_exact() {
    let mlp = Mlp::new(INPUT, 8, CLASSES).unwrap();
    let data = blobs(60, 12);
    let shape = Shape::simplex(3).unwrap();
    let lr = LrSchedule::WarmupCosine {
        base_lr: 0.1,
        warmup: 5,
        total: 40,
    };
    let cfg = config(shape, Sharing::Layerwise, 1.0, lr);
    let all = batches(&data, 8, 40, 13);
    let (whole, whole_records) = train(&mlp, &cfg, start(&mlp, shape, 2), &all).unwrap();

    let (half, mut records) = train(&mlp, &cfg, start(&mlp, shape, 2), &all[..25]).unwrap();
    // Save to host memory and rebuild, as a checkpoint would.
    let saved_copies = to_host(
        &half
            .region
            .groups()
            .iter()
            .map(|g| g.copies.clone())
            .collect::<Vec<_>>(),
    );
    let saved_velocity: Vec<Vec<Tensor>> = half
        .optimizer
        .velocities()
        .iter()
        .map(|g| g.iter().map(|v| v.clone().unwrap()).collect())
        .collect();
    let saved_velocity = to_host(&saved_velocity);
    let resumed = TrainState {
        region: mlp.region(shape, saved_copies).unwrap(),
        optimizer: SgdState::from_velocities(
            from_host(&saved_velocity)
                .into_iter()
                .map(|g| g.into_iter().map(Some).collect())
                .collect(),
        ),
        step: half.step,
    };
    let (resumed, rest) = train(&mlp, &cfg, resumed, &all[25..]).unwrap();
    records.extend(rest);

    assert_eq!(records, whole_records);
    assert_eq!(resumed.step, 40);
    for (a, b) in resumed.region.groups().iter().zip(whole.region.groups()) {
        assert_eq!(a.copies, b.copies, "group {}", a.name);
    }
    let fresh = train(&mlp, &cfg, start(&mlp, shape, 2), &all[25..])
        .unwrap()
        .0;
    assert_ne!(
        fresh.region.groups()[0].copies,
        whole.region.groups()[0].copies,
        "the comparison must be able to fail"
    );
}
