//! Forward and hand-written backward pass of the [`Mlp`] (formulas on
//! [`Mlp::loss_and_grads`]).

use std::sync::Arc;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, Ix1, Ix2};
use subspace_core::metrics::Logits;
use subspace_core::{Point, Region, Result};

use super::batch::{Batch, check_inputs};
use super::gemm::matmul;
use super::model::Mlp;
use crate::backend::{Reference, Tensor};

/// The loss of a batch and its gradient with respect to every parameter.
#[derive(Debug, Clone)]
pub struct LossAndGrads {
    /// Mean softmax cross-entropy over the batch.
    pub loss: f64,
    /// `dL/dθ` for every parameter, in the order of [`PARAMS`](super::PARAMS).
    pub grads: Vec<Tensor>,
}

/// The parameters viewed as matrices and vectors.
struct Weights<'a> {
    w1: ArrayView2<'a, f32>,
    b1: ArrayView1<'a, f32>,
    w2: ArrayView2<'a, f32>,
    b2: ArrayView1<'a, f32>,
}

/// The values the backward pass reuses.
struct Activations {
    z1: Array2<f32>,
    h: Array2<f32>,
    logits: Array2<f32>,
}

impl Mlp {
    /// The logits `relu(x W1 + b1) W2 + b2` of `inputs` (row-major, `input` values per row)
    /// at parameters `params`.
    ///
    /// Errors if the parameters do not fit the MLP, `inputs` is not a whole number of rows, or
    /// a logit is not finite.
    pub fn logits(&self, params: &[Tensor], inputs: &[f32]) -> Result<Logits> {
        let w = self.weights(params)?;
        let rows = inputs.len() / self.input();
        check_inputs(inputs, rows, self.input())?;
        let x = input_view(inputs, rows, self.input());
        let a = forward(&w, x);
        Logits::new(rows, self.classes(), a.logits.into_iter().collect())
    }

    /// The logits at `point` of `region`: the network at `w(p)`, via [`Region::at`].
    pub fn logits_at(
        &self,
        region: &Region<Reference>,
        point: &Point,
        inputs: &[f32],
    ) -> Result<Logits> {
        self.logits(&region.at(point)?, inputs)
    }

    /// The mean softmax cross-entropy of `batch` at `params` and its gradient:
    ///
    /// ```text
    /// z1 = x W1 + b1        h = relu(z1)        z = h W2 + b2
    /// L  = (1/N) Σ_n [ log Σ_c exp(z_nc) − z_{n,y_n} ]
    /// dz  = (softmax(z) − onehot(y)) / N
    /// dW2 = hᵀ dz           db2 = Σ_n dz_n
    /// dh  = dz W2ᵀ          dz1 = dh ⊙ [z1 > 0]
    /// dW1 = xᵀ dz1          db1 = Σ_n dz1_n
    /// ```
    ///
    /// Products are `f32` GEMMs (`matrixmultiply::sgemm`); log-sum-exp, softmax and bias sums
    /// are computed in `f64` and rounded to `f32` once; the ReLU derivative at 0 is 0.
    ///
    /// Errors if the parameters do not fit the MLP, the batch is empty or has the wrong number
    /// of inputs, or a label is out of range.
    pub fn loss_and_grads(&self, params: &[Tensor], batch: &Batch) -> Result<LossAndGrads> {
        let w = self.weights(params)?;
        batch.check(self.input(), self.classes())?;
        let rows = batch.rows();
        let x = input_view(&batch.inputs, rows, self.input());
        let a = forward(&w, x);

        let mut loss = 0.0;
        let mut dz = Array2::<f32>::zeros((rows, self.classes()));
        for ((z, mut d), &y) in a
            .logits
            .outer_iter()
            .zip(dz.outer_iter_mut())
            .zip(&batch.labels)
        {
            let max = z.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v as f64));
            let sum: f64 = z.iter().map(|&v| (v as f64 - max).exp()).sum();
            loss += max + sum.ln() - z[y] as f64;
            for (c, (dc, &zc)) in d.iter_mut().zip(&z).enumerate() {
                let p = (zc as f64 - max).exp() / sum;
                let onehot = if c == y { 1.0 } else { 0.0 };
                *dc = ((p - onehot) / rows as f64) as f32;
            }
        }

        let dw2 = matmul(a.h.t(), dz.view());
        let db2 = column_sums(dz.view());
        let mut dz1 = matmul(dz.view(), w.w2.t());
        dz1.zip_mut_with(&a.z1, |d, &z| {
            if z <= 0.0 {
                *d = 0.0;
            }
        });
        let dw1 = matmul(x.t(), dz1.view());
        let db1 = column_sums(dz1.view());
        Ok(LossAndGrads {
            loss: loss / rows as f64,
            grads: vec![
                Arc::new(dw1.into_dyn()),
                Arc::new(db1.into_dyn()),
                Arc::new(dw2.into_dyn()),
                Arc::new(db2.into_dyn()),
            ],
        })
    }

    fn weights<'a>(&self, params: &'a [Tensor]) -> Result<Weights<'a>> {
        self.check_params(params)?;
        let matrix = |t: &'a Tensor| {
            t.view()
                .into_dimensionality::<Ix2>()
                .unwrap_or_else(|_| unreachable!("dims were checked"))
        };
        let vector = |t: &'a Tensor| {
            t.view()
                .into_dimensionality::<Ix1>()
                .unwrap_or_else(|_| unreachable!("dims were checked"))
        };
        Ok(Weights {
            w1: matrix(&params[0]),
            b1: vector(&params[1]),
            w2: matrix(&params[2]),
            b2: vector(&params[3]),
        })
    }
}

fn input_view(inputs: &[f32], rows: usize, input: usize) -> ArrayView2<'_, f32> {
    ArrayView2::from_shape((rows, input), inputs)
        .unwrap_or_else(|_| unreachable!("the input length was checked"))
}

fn forward(w: &Weights<'_>, x: ArrayView2<'_, f32>) -> Activations {
    let mut z1 = matmul(x, w.w1);
    z1 += &w.b1;
    let h = z1.mapv(|v| v.max(0.0));
    let mut logits = matmul(h.view(), w.w2);
    logits += &w.b2;
    Activations { z1, h, logits }
}

/// `Σ_n m_n`, summed in `f64`.
fn column_sums(m: ArrayView2<'_, f32>) -> Array1<f32> {
    m.map(|&v| v as f64).sum_axis(Axis(0)).mapv(|v| v as f32)
}
