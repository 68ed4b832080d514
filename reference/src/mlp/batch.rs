//! A batch of examples for the MLP.

use subspace_core::{Error, Result};

/// `rows` examples: `inputs` row-major `[rows, input]`, one class label per row.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// The features, row-major, `labels.len() × input` values.
    pub inputs: Vec<f32>,
    /// The class of every row.
    pub labels: Vec<usize>,
}

impl Batch {
    /// The number of examples.
    pub fn rows(&self) -> usize {
        self.labels.len()
    }

    /// Checks a non-empty batch of `input` features per row and labels below `classes`.
    ///
    /// Errors with [`Error::Empty`], [`Error::LengthMismatch`] or [`Error::LabelOutOfRange`].
    pub fn check(&self, input: usize, classes: usize) -> Result<()> {
        if self.labels.is_empty() {
            return Err(Error::Empty {
                operation: "Mlp::loss_and_grads",
                what: "batch",
            });
        }
        check_inputs(&self.inputs, self.rows(), input)?;
        match self.labels.iter().enumerate().find(|&(_, &l)| l >= classes) {
            Some((index, &label)) => Err(Error::LabelOutOfRange {
                index,
                label,
                classes,
            }),
            None => Ok(()),
        }
    }
}

/// Checks that `inputs` holds `rows × input` values.
pub(crate) fn check_inputs(inputs: &[f32], rows: usize, input: usize) -> Result<()> {
    if inputs.len() == rows * input {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            operation: "Mlp",
            what: "inputs (rows x input features)",
            expected: rows * input,
            found: inputs.len(),
        })
    }
}
