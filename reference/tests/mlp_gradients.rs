//! The hand-written backward pass against central finite differences of an independent `f64`
//! evaluation of the same loss.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use rand::{RngExt, SeedableRng, rngs::ChaCha8Rng};
use subspace_core::{Backend, HostTensor, Shape};
use subspace_reference::mlp::{Batch, Mlp};
use subspace_reference::{Cpu, Reference, Tensor};

/// `(1/N) Σ_n [lse(z_n) − z_{n,y_n}]` with `z = relu(x W1 + b1) W2 + b2`, plain `f64` loops.
fn loss_f64(mlp: &Mlp, p: &[Vec<f64>], x: &[f64], labels: &[usize]) -> f64 {
    let (d, h, c) = (mlp.input(), mlp.hidden(), mlp.classes());
    let mut total = 0.0;
    for (n, &y) in labels.iter().enumerate() {
        let hidden: Vec<f64> = (0..h)
            .map(|j| {
                let z = p[1][j] + (0..d).map(|i| x[n * d + i] * p[0][i * h + j]).sum::<f64>();
                z.max(0.0)
            })
            .collect();
        let logits: Vec<f64> = (0..c)
            .map(|k| p[3][k] + (0..h).map(|j| hidden[j] * p[2][j * c + k]).sum::<f64>())
            .collect();
        let max = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let lse = max + logits.iter().map(|z| (z - max).exp()).sum::<f64>().ln();
        total += lse - logits[y];
    }
    total / labels.len() as f64
}

#[test]
fn backward_matches_finite_differences() {
    let mlp = Mlp::new(5, 7, 3).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let host: Vec<HostTensor> = mlp.init(&mut rng);
    let params: Vec<Tensor> = host.iter().map(|t| Reference::from_host(t, &Cpu)).collect();
    let rows = 6;
    let batch = Batch {
        inputs: (0..rows * mlp.input())
            .map(|_| rng.random::<f32>() * 4.0 - 2.0)
            .collect(),
        labels: (0..rows).map(|n| n % mlp.classes()).collect(),
    };
    let out = mlp.loss_and_grads(&params, &batch).unwrap();

    let x: Vec<f64> = batch.inputs.iter().map(|&v| v as f64).collect();
    let mut p: Vec<Vec<f64>> = host
        .iter()
        .map(|t| t.data().iter().map(|&v| v as f64).collect())
        .collect();
    let exact = loss_f64(&mlp, &p, &x, &batch.labels);
    assert!((out.loss - exact).abs() < 1e-5, "{} vs {exact}", out.loss);

    let h = 1e-5;
    let mut checked = 0;
    for (t, grad) in out.grads.iter().enumerate() {
        assert_eq!(grad.shape(), host[t].dims());
        for (e, &analytic) in grad.iter().enumerate() {
            let original = p[t][e];
            p[t][e] = original + h;
            let up = loss_f64(&mlp, &p, &x, &batch.labels);
            p[t][e] = original - h;
            let down = loss_f64(&mlp, &p, &x, &batch.labels);
            p[t][e] = original;
            let numeric = (up - down) / (2.0 * h);
            let err = (analytic as f64 - numeric).abs();
            assert!(
                err <= 1e-5 + 1e-3 * numeric.abs(),
                "param {t} element {e}: analytic {analytic}, numeric {numeric}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 5 * 7 + 7 + 7 * 3 + 3);
}

#[test]
fn invalid_batches_are_rejected() {
    let mlp = Mlp::new(2, 3, 2).unwrap();
    let host = mlp.init_copies(Shape::Point, 0);
    let params: Vec<Tensor> = host
        .iter()
        .map(|copies| Reference::from_host(&copies[0], &Cpu))
        .collect();
    let bad_label = Batch {
        inputs: vec![0.0; 4],
        labels: vec![0, 2],
    };
    assert!(mlp.loss_and_grads(&params, &bad_label).is_err());
    let short = Batch {
        inputs: vec![0.0; 3],
        labels: vec![0, 1],
    };
    assert!(mlp.loss_and_grads(&params, &short).is_err());
    let empty = Batch {
        inputs: vec![],
        labels: vec![],
    };
    assert!(mlp.loss_and_grads(&params, &empty).is_err());
    assert!(mlp.logits(&params, &[0.0; 3]).is_err());
    assert!(mlp.logits(&params[..3], &[0.0; 4]).is_err());
    assert_eq!(mlp.logits(&params, &[0.0; 4]).unwrap().rows(), 2);
    assert_eq!(mlp.logits(&params, &[]).unwrap().rows(), 0);
}
