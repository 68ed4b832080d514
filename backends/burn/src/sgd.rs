//! [`SubspaceSgd`]: SGD that steps every copy of a [`Subspace`] in one pass per parameter.

use burn::module::{Module, ModuleDisplay};
use burn::tensor::Gradients;
use subspace_core::{Backend, Cos2, HostTensor, SgdConfig, SgdState, sgd_step};

use crate::backend::{Burn, BurnTensor};
use crate::checkpoint::CheckpointOptimizer;
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
    /// the update. Returns the regularizer, if it applied. A frozen copy (see
    /// [`Subspace::region`]) keeps its weight and velocity, as with a burn optimizer.
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
        subspace.update_copies(|region, trains| {
            // core's step moves every copy of a group with a gradient; a frozen copy of a group
            // that trains is put back afterwards, with its velocity.
            let frozen: Vec<(usize, usize)> = trains
                .iter()
                .enumerate()
                .filter(|(_, trains)| trains.contains(&true))
                .flat_map(|(g, trains)| {
                    trains
                        .iter()
                        .enumerate()
                        .filter(|(_, trains)| !**trains)
                        .map(move |(k, _)| (g, k))
                })
                .collect();
            let kept: Vec<(BurnTensor, Option<BurnTensor>)> = frozen
                .iter()
                .map(|&(g, k)| {
                    let velocity = self.state.velocities().get(g).and_then(|v| v[k].clone());
                    (region.groups()[g].copies[k].clone(), velocity)
                })
                .collect();
            sgd_step(
                region,
                g,
                &points,
                regularizer.as_ref(),
                &mut self.state,
                &self.config,
                lr,
            )?;
            if !frozen.is_empty() {
                let mut copies: Vec<Vec<BurnTensor>> =
                    region.groups().iter().map(|g| g.copies.clone()).collect();
                let mut velocities = self.state.velocities().to_vec();
                for (&(g, k), (weight, velocity)) in frozen.iter().zip(kept) {
                    copies[g][k] = weight;
                    velocities[g][k] = velocity;
                }
                region.set_copies(copies)?;
                self.state = SgdState::from_velocities(velocities);
            }
            Ok(())
        })?;
        Ok(regularizer)
    }
}

/// The first bytes of [`SubspaceSgd`]'s state in a checkpoint.
const STATE_MAGIC: &[u8; 8] = b"SSSGDV01";

/// The velocities, as `SSSGDV01`, the number of groups, then per group its number of copies
/// and per copy a byte (0: no velocity yet, 1: one) and the velocity's element count and
/// elements; counts are `u64`, elements `f32`, all little endian. The configuration is not
/// saved: a resumed run passes its own, as with burn's optimizers.
impl CheckpointOptimizer for SubspaceSgd {
    fn state_bytes(&self) -> std::result::Result<Vec<u8>, String> {
        let mut out = STATE_MAGIC.to_vec();
        let velocities = self.state.velocities();
        out.extend((velocities.len() as u64).to_le_bytes());
        for group in velocities {
            out.extend((group.len() as u64).to_le_bytes());
            for v in group {
                let Some(v) = v else {
                    out.push(0);
                    continue;
                };
                out.push(1);
                let host = Burn::tensor_to_host(v.clone()).map_err(|e| e.to_string())?;
                out.extend((host.len() as u64).to_le_bytes());
                out.extend(host.data().iter().flat_map(|x| x.to_le_bytes()));
            }
        }
        Ok(out)
    }

    fn with_state_bytes<M: Module + ModuleDisplay>(
        self,
        bytes: Vec<u8>,
        subspace: &Subspace<M>,
    ) -> std::result::Result<Self, String> {
        let mut state = Reader(&bytes);
        if state.take(STATE_MAGIC.len())? != STATE_MAGIC {
            return Err(
                "it does not start with SSSGDV01: expected SubspaceSgd's velocities \
                 (was the checkpoint written with another optimizer?)"
                    .into(),
            );
        }
        let region = subspace.region().map_err(|e| e.to_string())?;
        let groups = state.count()?;
        if groups != 0 && groups != region.groups().len() {
            return Err(format!(
                "velocities of {groups} groups, the subspace has {}",
                region.groups().len()
            ));
        }
        let mut velocity = Vec::with_capacity(groups);
        for group in &region.groups()[..groups] {
            let copies = state.count()?;
            if copies != group.copies.len() {
                return Err(format!(
                    "{copies} velocities of `{}`, the subspace has {} copies",
                    group.name,
                    group.copies.len()
                ));
            }
            let mut per_copy = Vec::with_capacity(copies);
            for copy in &group.copies {
                let present = state.take(1)?[0];
                if present == 0 {
                    per_copy.push(None);
                    continue;
                }
                let (dims, n) = (Burn::dims(copy), state.count()?);
                if present != 1 || n != dims.iter().product::<usize>() {
                    return Err(format!(
                        "a velocity of `{}` with {n} elements (flag {present}), expected {dims:?}",
                        group.name
                    ));
                }
                let data = state
                    .take(4 * n)?
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect();
                let host = HostTensor::new(dims, data).map_err(|e| e.to_string())?;
                per_copy.push(Some(Burn::from_host(&host, &copy.flat().device())));
            }
            velocity.push(per_copy);
        }
        if !state.0.is_empty() {
            return Err(format!("{} bytes after the velocities", state.0.len()));
        }
        Ok(Self {
            state: SgdState::from_velocities(velocity),
            ..self
        })
    }
}

/// Reads a saved state front to back, with bounds checks.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> std::result::Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err(format!(
                "the state ends early: {n} more bytes expected, {} left",
                self.0.len()
            ));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn count(&mut self) -> std::result::Result<usize, String> {
        let b = self.take(8)?;
        let n = u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
        usize::try_from(n).map_err(|_| format!("count {n} does not fit this machine"))
    }
}
