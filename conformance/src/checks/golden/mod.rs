//! Golden vectors with provenance: values computed outside Rust by
//! `conformance/golden/generate.py` (see [`vectors`] for the command), compared with what core
//! and a backend compute.

mod vectors;

use subspace_core::metrics::{DEFAULT_ECE_BINS, Logits, accuracy, calibration, nll};
use subspace_core::{
    Backend, Cos2Config, Group, Pair, Point, Region, Shape, cos2_grads, cos2_regularizer, mix,
};

use crate::checks::sampler::HOST;
use crate::compare::Comparisons;
use crate::data::{download, host_tensor};
use crate::harness::{SuiteConfig, run_fixed};
use crate::outcome::{CaseError, Failure, Report};
use crate::tolerance::Tolerance;

/// A mix of `copies` at `point` of `shape`.
pub(crate) struct MixCase {
    pub shape: Shape,
    /// `[a]` for curves, `t` for simplices.
    pub point: &'static [f64],
    pub copies: &'static [&'static [f32]],
    pub expected: &'static [f64],
}

/// Coefficients of `shape` at curve coordinate `a`.
pub(crate) struct CoefficientCase {
    pub shape: Shape,
    pub a: f64,
    pub expected: &'static [f64],
}

/// cos² of two vectors with weight `beta` and the default `ε`.
pub(crate) struct Cos2Case {
    pub a: &'static [f32],
    pub b: &'static [f32],
    pub beta: f64,
    pub value: f64,
    pub grad_a: &'static [f64],
    pub grad_b: &'static [f64],
}

/// A batch of logits and labels with its metrics.
pub(crate) struct MetricsCase {
    pub logits: &'static [[f32; 3]],
    pub labels: &'static [usize],
    pub ece_20_bins: f64,
    pub nll: f64,
    pub accuracy: f64,
}

fn point_of(shape: Shape, coordinates: &[f64]) -> subspace_core::Result<Point> {
    match shape {
        Shape::Simplex { .. } => Point::simplex(coordinates.to_vec()),
        _ => Point::curve(coordinates[0]),
    }
}

fn upload<B: Backend>(data: &[f32], device: &B::Device) -> B::Tensor {
    B::from_host(&host_tensor(vec![data.len()], data.to_vec()), device)
}

/// Golden mixes within [`Tolerance::F32`] (magnitude `Σ_i |c_i w_ik|`), and golden cos²
/// values and gradients within [`Tolerance::F32_REDUCTION`] (value magnitude `β`; gradient
/// magnitude the largest golden gradient element), on backend `B`. The cases are fixed, so
/// `_config` (taken for a uniform signature with the other backend checks) is not read.
pub fn check_golden<B: Backend>(
    device: &B::Device,
    _config: &SuiteConfig,
) -> Result<Report, Failure> {
    run_fixed("golden vectors", &B::name(device), || {
        let mut cmp = Comparisons::new();
        for (n, case) in vectors::MIXES.iter().enumerate() {
            let c = case
                .shape
                .coefficients(&point_of(case.shape, case.point)?)?;
            let copies: Vec<B::Tensor> =
                case.copies.iter().map(|w| upload::<B>(w, device)).collect();
            let got = download::<B>(mix::<B>(&copies, &c)?)?;
            let magnitude: Vec<f64> = (0..case.expected.len())
                .map(|k| {
                    c.as_slice()
                        .iter()
                        .zip(case.copies)
                        .map(|(ci, w)| (ci * f64::from(w[k])).abs())
                        .sum()
                })
                .collect();
            cmp.tensor(
                Tolerance::F32,
                &format!("golden mix {n} ({})", case.shape),
                &got,
                case.expected,
                &magnitude,
            );
        }
        for (n, case) in vectors::COS2.iter().enumerate() {
            let group = Group {
                name: "golden".into(),
                layer: 0,
                regularized: true,
                copies: vec![upload::<B>(case.a, device), upload::<B>(case.b, device)],
            };
            let region = Region::<B>::new(Shape::Line, vec![group])?;
            let config = Cos2Config {
                beta: case.beta,
                ..Cos2Config::default()
            };
            let reg = cos2_regularizer(&region, Pair::new(0, 1, 2)?, config)?;
            cmp.value(
                Tolerance::F32_REDUCTION,
                || format!("golden cos² {n}"),
                reg.value,
                case.value,
                case.beta,
            );
            let Some(Some((ga, gb))) = cos2_grads(&region, &reg)?.into_iter().next() else {
                return Err(CaseError::new(
                    "cos2_grads gave no gradient for a regularized group",
                ));
            };
            for (name, tensor, expected) in [("w_0", ga, case.grad_a), ("w_1", gb, case.grad_b)] {
                let size = expected.iter().fold(0.0f64, |m, x| m.max(x.abs()));
                let got = download::<B>(tensor)?;
                cmp.tensor(
                    Tolerance::F32_REDUCTION,
                    &format!("golden dR/d{name} {n}"),
                    &got,
                    expected,
                    &vec![size; expected.len()],
                );
            }
        }
        cmp.finish()
    })
}

/// Golden Bernstein coefficients, accuracy, NLL and 20-bin ECE from core, within
/// [`Tolerance::F64`] (NLL magnitude 8: the size of the batch's log-sum-exp terms).
pub fn check_golden_host() -> Result<Report, Failure> {
    run_fixed("golden vectors (host)", HOST, || {
        let mut cmp = Comparisons::new();
        for case in vectors::COEFFICIENTS {
            let c = case.shape.coefficients(&Point::curve(case.a)?)?;
            cmp.require(c.len() == case.expected.len(), || {
                format!("{} coefficients for {}", c.len(), case.shape)
            });
            for (i, (&x, &y)) in c.as_slice().iter().zip(case.expected).enumerate() {
                let what = || format!("{} coefficient {i} at a = {}", case.shape, case.a);
                cmp.value(Tolerance::F64, what, x, y, 0.0);
            }
        }
        let b = &vectors::BATCH;
        let logits = Logits::new(
            b.logits.len(),
            3,
            b.logits.iter().flatten().copied().collect(),
        )?;
        cmp.value(
            Tolerance::F64,
            || "golden accuracy".into(),
            accuracy(&logits, b.labels)?,
            b.accuracy,
            0.0,
        );
        cmp.value(
            Tolerance::F64,
            || "golden NLL".into(),
            nll(&logits, b.labels)?,
            b.nll,
            8.0,
        );
        let ece = calibration(&logits, b.labels, DEFAULT_ECE_BINS)?.ece;
        cmp.value(
            Tolerance::F64,
            || "golden ECE (20 bins)".into(),
            ece,
            b.ece_20_bins,
            1.0,
        );
        cmp.finish()
    })
}
