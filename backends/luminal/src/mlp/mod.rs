//! The reference MLP as luminal graphs: logits, loss and analytic gradient, evaluation of any
//! point of a region, sweeps and ensembles, and training through core's plugin contract.
//!
//! [`LuminalMlp`] runs the architecture of [`subspace_reference::mlp::Mlp`] (`fc1`, ReLU, `fc2`,
//! parameters in the order of [`PARAMS`], `y = x W + b`) with luminal. Its backward pass is
//! written out as graph ops (luminal `0.2.0` has no autograd), which is all the plugin contract
//! needs: `dL/dw` at the mixed point.
//!
//! With `x` of dims `[b, i]`, one-hot labels `y` `[b, c]` and parameters `W1` `[i, h]`, `b1`
//! `[h]`, `W2` `[h, c]`, `b2` `[c]` (the reference MLP's layout):
//!
//! ```text
//! z1 = x W1 + b1        a = relu(z1)        z = a W2 + b2                 (forward)
//! m  = max_c z          e = exp(z − m)      s = Σ_c e
//! L  = (1/b) Σ_n Σ_c −y (z − m − ln s)                                      (loss)
//! dz  = (e / s − y) / b
//! dW2 = aᵀ dz           db2 = Σ_n dz
//! dz1 = (dz W2ᵀ) ⊙ [z1 > 0]                                                 (ReLU' at 0 is 0)
//! dW1 = xᵀ dz1          db1 = Σ_n dz1
//! ```
//!
//! All sizes are dynamic dimensions (`b`, `i`, `h`, `c`), so one compiled graph serves every
//! batch and every MLP size.

mod eval;
mod graphs;
mod train;

use std::marker::PhantomData;

use subspace_core::metrics::Logits;
use subspace_core::{Error, Result};
use subspace_reference::mlp::{Batch, Mlp, PARAMS};

use crate::graph::{GraphKey, run};
use crate::target::{Cpu, Target};
use crate::tensor::Tensor;

pub use eval::LoadError;

/// The loss of a batch and its gradient with respect to every parameter.
#[derive(Debug, Clone)]
pub struct LossAndGrads {
    /// Mean softmax cross-entropy over the batch.
    pub loss: f64,
    /// `dL/dθ` for every parameter, in the order of [`PARAMS`].
    pub grads: Vec<Tensor>,
}

/// The reference MLP's architecture run by luminal graphs compiled for target `T`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LuminalMlp<T: Target = Cpu> {
    mlp: Mlp,
    target: PhantomData<T>,
}

impl<T: Target> LuminalMlp<T> {
    /// The MLP `mlp` (input, hidden and class sizes) on target `T`.
    pub fn new(mlp: Mlp) -> Self {
        Self {
            mlp,
            target: PhantomData,
        }
    }

    /// The architecture.
    pub fn mlp(&self) -> Mlp {
        self.mlp
    }

    /// The logits `relu(x W1 + b1) W2 + b2` of `inputs` (row-major, `input` values per row)
    /// at parameters `params` (in the order of [`PARAMS`]).
    ///
    /// Errors if the parameters do not fit the MLP, `inputs` is not a whole number of rows, or
    /// a logit is not finite.
    pub fn logits(&self, params: &[Tensor], inputs: &[f32]) -> Result<Logits> {
        self.check_params(params)?;
        let rows = self.rows(inputs)?;
        if rows == 0 {
            return Logits::new(0, self.mlp.classes(), Vec::new());
        }
        let mut feed = vec![inputs.to_vec()];
        feed.extend(params.iter().cloned().map(Tensor::into_data));
        let mut out = run::<T>(
            GraphKey::MlpLogits,
            graphs::build_logits,
            &self.dyn_dims(rows),
            feed,
        );
        let logits = out
            .pop()
            .unwrap_or_else(|| unreachable!("the logits graph has one output"));
        Logits::new(rows, self.mlp.classes(), logits)
    }

    /// The mean softmax cross-entropy of `batch` at `params` and its gradient, from one
    /// compiled graph of the forward and the hand-written backward pass.
    ///
    /// Errors if the parameters do not fit the MLP, the batch is empty or has the wrong number
    /// of inputs, or a label is out of range.
    pub fn loss_and_grads(&self, params: &[Tensor], batch: &Batch) -> Result<LossAndGrads> {
        self.check_params(params)?;
        batch.check(self.mlp.input(), self.mlp.classes())?;
        let rows = batch.rows();
        let mut feed = vec![batch.inputs.clone(), self.one_hot(&batch.labels)];
        feed.extend(params.iter().cloned().map(Tensor::into_data));
        let mut out = run::<T>(
            GraphKey::MlpLossAndGrads,
            graphs::build_loss_and_grads,
            &self.dyn_dims(rows),
            feed,
        )
        .into_iter();
        let loss = out
            .next()
            .unwrap_or_else(|| unreachable!("the loss graph outputs the loss first"))[0];
        let grads = out
            .zip(self.mlp.param_dims())
            .map(|(g, dims)| Tensor::from_parts(dims, g))
            .collect();
        Ok(LossAndGrads {
            loss: loss as f64,
            grads,
        })
    }

    fn dyn_dims(&self, rows: usize) -> [(char, usize); 4] {
        graphs::dyn_dims(
            rows,
            self.mlp.input(),
            self.mlp.hidden(),
            self.mlp.classes(),
        )
    }

    /// The number of rows in `inputs`; errors unless it holds whole rows.
    fn rows(&self, inputs: &[f32]) -> Result<usize> {
        let input = self.mlp.input();
        if inputs.len().is_multiple_of(input) {
            Ok(inputs.len() / input)
        } else {
            Err(Error::LengthMismatch {
                operation: "LuminalMlp",
                what: "inputs (a whole number of rows of input features)",
                expected: inputs.len() / input * input,
                found: inputs.len(),
            })
        }
    }

    /// `y[n][c] = 1` where `c` is the label of row `n` (labels were checked).
    fn one_hot(&self, labels: &[usize]) -> Vec<f32> {
        let classes = self.mlp.classes();
        let mut y = vec![0.0; labels.len() * classes];
        for (n, &label) in labels.iter().enumerate() {
            y[n * classes + label] = 1.0;
        }
        y
    }

    /// Checks that `params` are the MLP's four parameters with their dims.
    fn check_params(&self, params: &[Tensor]) -> Result<()> {
        if params.len() != PARAMS.len() {
            return Err(Error::LengthMismatch {
                operation: "LuminalMlp",
                what: "parameters (fc1.weight, fc1.bias, fc2.weight, fc2.bias)",
                expected: PARAMS.len(),
                found: params.len(),
            });
        }
        for ((spec, dims), t) in PARAMS.iter().zip(self.mlp.param_dims()).zip(params) {
            if t.dims() != dims {
                return Err(Error::DimsMismatch {
                    operation: "LuminalMlp",
                    what: spec.name.into(),
                    expected: dims,
                    found: t.dims().to_vec(),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use rand::{SeedableRng, rngs::ChaCha8Rng};
    use subspace_core::Backend;

    use super::*;
    use crate::backend::Luminal;
    use crate::graph::compilations;

    fn params(mlp: Mlp) -> Vec<Tensor> {
        mlp.init(&mut ChaCha8Rng::seed_from_u64(1))
            .iter()
            .map(|p| Luminal::<Cpu>::from_host(p, &Cpu))
            .collect()
    }

    #[test]
    fn one_compiled_graph_serves_every_batch_and_network_size() {
        let run = |input, hidden, classes, rows| {
            let mlp = Mlp::new(input, hidden, classes).unwrap();
            let lum = LuminalMlp::<Cpu>::new(mlp);
            let batch = Batch {
                inputs: vec![0.5; rows * input],
                labels: (0..rows).map(|n| n % classes).collect(),
            };
            let logits = lum.logits(&params(mlp), &batch.inputs).unwrap();
            let out = lum.loss_and_grads(&params(mlp), &batch).unwrap();
            (logits.rows(), out.grads.len())
        };
        run(3, 4, 2, 5);
        let before = compilations();
        assert_eq!(run(7, 9, 4, 1), (1, 4));
        assert_eq!(run(3, 4, 2, 64), (64, 4));
        assert_eq!(compilations(), before);
    }
}
