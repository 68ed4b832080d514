//! [`SubspaceSgd`]: SGD that steps every copy of a [`Subspace`] in one pass per parameter.

use burn::module::{Module, ModuleDisplay};
use burn::tensor::Gradients;
use subspace_core::{Cos2, SgdConfig, SgdState, sgd_step};

use crate::backend::BurnTensor;
use crate::error::Result;
use crate::subspace::{MixedStep, Subspace};

/// SGD with momentum and weight decay on every copy of a [`Subspace`], fused with the
/// gradient of every copy (core's [`sgd_step`]) for the **mix-outside** form of a step.
///
/// A burn optimizer steps each copy's tensors on their own, after
/// [`Subspace::scatter`] wrote every copy's gradient: each pass reads and writes a whole copy.
/// This one takes the gradient at `w(p)` and updates all copies of a parameter at once, in
/// one pass over the gradient, the copies and their velocities on burn's flex CPU device
/// (burn operations elsewhere), in place; [`Subspace::mixed_step`] gives the model at `w(p)`
/// and the step's regularizer from one pass over the copies. The numbers are burn's: the same
/// bits as `subspace.mixed` and `subspace.scatter` followed by burn's `Sgd` with the same
/// momentum and weight decay.
///
/// ```
/// # use burn::nn::LinearConfig;
/// # use burn::nn::loss::CrossEntropyLossConfig;
/// # use burn::prelude::*;
/// use subspace_burn::{Subspace, SubspaceConfig, SubspaceSgd};
/// use subspace_core::{Momentum, SgdConfig, Shape};
/// # fn main() -> Result<(), subspace_burn::Error> {
/// let device = Device::flex().autodiff();
/// let mut line = Subspace::new(SubspaceConfig::new(Shape::Line, 7), || {
///     LinearConfig::new(4, 3).init(&device)
/// })?;
/// let config = SgdConfig::new()
///     .with_momentum(Momentum::new(0.9))
///     .with_weight_decay(1e-4);
/// let mut sgd = SubspaceSgd::new(config)?;
/// let loss_fn = CrossEntropyLossConfig::new().init(&device);
/// for step in 0..5u64 {
///     let x = Tensor::<2>::random([8, 4], burn::tensor::Distribution::Default, &device);
///     let y = x.clone().argmax(1).squeeze_dim::<1>(1).remainder_scalar(3);
///     let mixed = line.mixed_step(step)?;  // the model at w(p), and the step's cos²
///     let grads = loss_fn.forward(mixed.model.forward(x), y).backward();
///     sgd.step(0.05, &mut line, grads, mixed)?;
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct SubspaceSgd {
    config: SgdConfig,
    state: SgdState<BurnTensor>,
}

impl SubspaceSgd {
    /// An optimizer with no velocities yet. Errors if `config` is invalid
    /// ([`SgdConfig::validate`]).
    pub fn new(config: SgdConfig) -> Result<Self> {
        Ok(Self {
            config: config.validate()?,
            state: SgdState::new(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &SgdConfig {
        &self.config
    }

    /// The velocities of every copy.
    pub fn state(&self) -> &SgdState<BurnTensor> {
        &self.state
    }

    /// One step of every copy of `subspace` at learning rate `lr`, after `backward()` on
    /// `mixed.model` (from [`Subspace::mixed_step`]): the gradient of every copy,
    /// `c_i(p) g + dR/dw_i` with the step's cos² regularizer, then weight decay, momentum and
    /// the update. Returns the regularizer, if it applied.
    ///
    /// `mixed` is consumed so that the copies' memory is shared with nothing while they are
    /// updated. On an error (a `mixed` of another model, a negative or non-finite `lr`) the
    /// subspace and the velocities are unchanged.
    pub fn step<M: Module + ModuleDisplay>(
        &mut self,
        lr: f64,
        subspace: &mut Subspace<M>,
        mut grads: Gradients,
        mixed: MixedStep<M>,
    ) -> Result<Option<Cos2>> {
        let MixedStep {
            model,
            points,
            regularizer,
        } = mixed;
        let g = subspace.mixed_grads(&mut grads, &model)?;
        drop((model, grads));
        subspace.update_copies(|region| {
            Ok(sgd_step(
                region,
                g,
                &points,
                regularizer.as_ref(),
                &mut self.state,
                &self.config,
                lr,
            )?)
        })?;
        Ok(regularizer)
    }
}
