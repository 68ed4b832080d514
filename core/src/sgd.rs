//! Steps 4 and 5 of the plugin contract in one call: [`sgd_step`], the gradient of every copy
//! and an SGD step on it, so a backend can update all copies in one pass over their memory.

use crate::backend::Backend;
use crate::error::{Error, Result, finite, non_negative};
use crate::region::{Region, check_dims, check_len};
use crate::regularizer::{Cos2, Pair};
use crate::sampler::StepPoints;

/// Momentum of [`SgdConfig`]: burn's `MomentumConfig`, PyTorch's `momentum`, `dampening` and
/// `nesterov`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Momentum {
    /// `μ ≥ 0`.
    pub momentum: f64,
    /// `τ ∈ [0, 1]`.
    pub dampening: f64,
    /// Nesterov's update `u = μ v + G` instead of `u = v`.
    pub nesterov: bool,
}

impl Momentum {
    /// Momentum `μ`, no dampening, no Nesterov (the paper's `0.9`).
    pub fn new(momentum: f64) -> Self {
        Self {
            momentum,
            dampening: 0.0,
            nesterov: false,
        }
    }
}

/// SGD with optional momentum and L2 weight decay, the same for every copy.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SgdConfig {
    /// `None`: plain SGD, `w ← w − η G`.
    pub momentum: Option<Momentum>,
    /// `λ ≥ 0` (0: none).
    pub weight_decay: f64,
}

impl SgdConfig {
    /// Plain SGD: no momentum, no weight decay.
    pub fn new() -> Self {
        Self::default()
    }

    /// With momentum.
    pub fn with_momentum(mut self, momentum: Momentum) -> Self {
        self.momentum = Some(momentum);
        self
    }

    /// With weight decay `λ`.
    pub fn with_weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }

    /// The configuration if `μ ≥ 0`, `τ ∈ [0, 1]` and `λ ≥ 0` (all finite).
    pub fn validate(self) -> Result<Self> {
        non_negative("weight_decay", self.weight_decay)?;
        if let Some(m) = self.momentum {
            non_negative("momentum", m.momentum)?;
            if !(0.0..=1.0).contains(&finite("dampening", m.dampening)?) {
                return Err(Error::InvalidNumber {
                    what: "dampening",
                    value: m.dampening,
                    expected: "a number in [0, 1]",
                });
            }
        }
        Ok(self)
    }
}

/// The gradient of one copy `k` of a group as a linear combination:
/// `G_k = chain · g + c_self · w_k + c_other · w_other`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CopyGradient {
    /// `c_k(p)`, the chain rule's coefficient on `g`.
    pub chain: f64,
    /// `(c_self, other, c_other)` of the cos² regularizer ([`Cos2::grad_terms`]), if it
    /// covers the group and the copy is in its pair.
    pub regularizer: Option<(f64, usize, f64)>,
}

/// A tensor in a [`CopyGradient`]'s linear combination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term {
    /// The gradient `g` at the mixed weights.
    Grad,
    /// Copy `k` of the group, before the step.
    Copy(usize),
}

impl CopyGradient {
    /// The terms `(coefficient, tensor)` of `G_k` for copy `copy`, in order: `c_k g` (if the
    /// group has a gradient), then the regularizer's `c_self w_k` and `c_other w_other`.
    ///
    /// Empty if the copy has neither: it has no gradient (the loss does not reach its group
    /// and the regularizer's pair leaves it out), and the step leaves it and its velocity as
    /// they are, as burn's and PyTorch's optimizers leave a parameter without a gradient.
    pub fn terms(&self, copy: usize, has_grad: bool) -> Vec<(f64, Term)> {
        let mut terms = Vec::with_capacity(3);
        if has_grad {
            terms.push((self.chain, Term::Grad));
        }
        if let Some((c_self, other, c_other)) = self.regularizer {
            terms.push((c_self, Term::Copy(copy)));
            terms.push((c_other, Term::Copy(other)));
        }
        terms
    }
}

/// The input of [`Backend::sgd_group`]: one group's copies, velocities and gradient.
#[derive(Debug, Clone)]
pub struct SgdGroup<T> {
    /// `w_k`, in the shape's copy order.
    pub weights: Vec<T>,
    /// `v_k`, `None` before the copy's first step (always `None` without momentum).
    pub velocities: Vec<Option<T>>,
    /// `g = dL/dw(p)`; `None` if the loss does not reach the group (then `G_k` is the
    /// regularizer's term alone, and a copy outside its pair keeps its weight and velocity).
    pub grad: Option<T>,
    /// How `G_k` is made, per copy ([`CopyGradient::terms`]).
    pub copies: Vec<CopyGradient>,
}

impl<T> SgdGroup<T> {
    /// The same group with `f` applied to every tensor (e.g. to unwrap a backend's tensors).
    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> SgdGroup<U> {
        SgdGroup {
            weights: self.weights.into_iter().map(&mut f).collect(),
            velocities: self.velocities.into_iter().map(|v| v.map(&mut f)).collect(),
            grad: self.grad.map(&mut f),
            copies: self.copies,
        }
    }
}

/// The output of [`Backend::sgd_group`]: the new weights and velocities.
#[derive(Debug, Clone)]
pub struct SgdGroupUpdate<T> {
    /// `w_k − η u_k`.
    pub weights: Vec<T>,
    /// The new `v_k` (`None` without momentum).
    pub velocities: Vec<Option<T>>,
}

impl<T> SgdGroupUpdate<T> {
    /// The same update with `f` applied to every tensor.
    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> SgdGroupUpdate<U> {
        SgdGroupUpdate {
            weights: self.weights.into_iter().map(&mut f).collect(),
            velocities: self.velocities.into_iter().map(|v| v.map(&mut f)).collect(),
        }
    }
}

/// [`Backend::sgd_group`] as [`Backend::lincomb`]s in burn's order of operations: per copy,
/// `G_k`, then `λ w_k + G_k`, the velocity, Nesterov's `μ v + G`, and `w_k − η u_k`. Every
/// `G_k` is computed before any weight changes, so the update may reuse a weight's buffer. A
/// copy without a gradient (no [`CopyGradient::terms`]) keeps its weight and velocity.
///
/// Backends that override `sgd_group` fall back to this for tensors their kernel does not
/// cover.
pub fn sgd_group_by_lincomb<B: Backend>(
    group: SgdGroup<B::Tensor>,
    lr: f64,
    config: &SgdConfig,
) -> SgdGroupUpdate<B::Tensor> {
    let SgdGroup {
        weights,
        velocities,
        grad,
        copies,
    } = group;
    let (updates, velocities): (Vec<_>, Vec<_>) = copies
        .iter()
        .zip(velocities)
        .enumerate()
        .map(|(k, (copy, velocity))| {
            let terms = copy.terms(k, grad.is_some());
            if terms.is_empty() {
                return (None, velocity);
            }
            let terms = terms.into_iter().map(|(c, term)| {
                let x = match (term, &grad) {
                    (Term::Grad, Some(g)) => g.clone(),
                    (Term::Copy(j), _) => weights[j].clone(),
                    (Term::Grad, None) => unreachable!("`terms` names g only if there is one"),
                };
                (c, x)
            });
            let mut g = B::lincomb(terms.collect());
            if config.weight_decay != 0.0 {
                g = B::lincomb(vec![(config.weight_decay, weights[k].clone()), (1.0, g)]);
            }
            let Some(m) = config.momentum else {
                return (Some(g), None);
            };
            let v = match velocity {
                None => g.clone(),
                Some(v) => B::lincomb(vec![(1.0 - m.dampening, g.clone()), (m.momentum, v)]),
            };
            let u = if m.nesterov {
                B::lincomb(vec![(m.momentum, v.clone()), (1.0, g)])
            } else {
                v.clone()
            };
            (Some(u), Some(v))
        })
        .unzip();
    let weights = weights
        .into_iter()
        .zip(updates)
        .map(|(w, u)| match u {
            Some(u) => B::lincomb(vec![(1.0, w), (-lr, u)]),
            None => w,
        })
        .collect();
    SgdGroupUpdate {
        weights,
        velocities,
    }
}

/// The optimizer state of [`sgd_step`]: the velocity of every copy of every group.
#[derive(Debug, Clone)]
pub struct SgdState<T> {
    /// `velocity[g][k]`: `v_k` of group `g`, `None` before its first step.
    velocity: Vec<Vec<Option<T>>>,
}

impl<T> Default for SgdState<T> {
    fn default() -> Self {
        Self {
            velocity: Vec::new(),
        }
    }
}

impl<T> SgdState<T> {
    /// No velocities yet: the first [`sgd_step`] sizes the state to its region.
    pub fn new() -> Self {
        Self::default()
    }

    /// A saved state, `velocity[g][k]` for copy `k` of group `g` (checked against the region
    /// at the next step).
    pub fn from_velocities(velocity: Vec<Vec<Option<T>>>) -> Self {
        Self { velocity }
    }

    /// `velocity[g][k]`: `v_k` of group `g` (empty before the first step).
    pub fn velocities(&self) -> &[Vec<Option<T>>] {
        &self.velocity
    }
}

/// One SGD step of every copy of `region`, through [`Backend::sgd_group`], one call per group.
///
/// For every parameter group and every copy `k`, with `g = dL/dw(p)` from the host's backward:
///
/// ```text
/// G_k = c_k(p) g + dR/dw_k                      the copy's gradient (copy_gradients, λ = 0)
/// G_k ← λ w_k + G_k                             weight decay λ, on every copy separately
/// v_k ← G_k                    at the first step of the copy,
/// v_k ← (1 − τ) G_k + μ v_k    after it         momentum μ, dampening τ
/// u_k = μ v_k + G_k  (Nesterov), else v_k       (u_k = G_k without momentum)
/// w_k ← w_k − η u_k                             learning rate η
/// ```
///
/// This is burn's `Sgd` (and PyTorch's `torch.optim.SGD`) applied to every copy's gradient,
/// with the `f32` operations in burn's order: on a backend whose `lincomb` follows that order
/// (burn's), it gives the bits of [`copy_gradients`](crate::copy_gradients) followed by burn's
/// optimizer. Unlike a host optimizer, which steps each copy's tensor on its own, a backend sees
/// all copies of a group at once in [`Backend::sgd_group`] and may read `g` and every copy
/// once while it writes the new copies and velocities.
///
/// `grads[g]` is `dL/dw(p)` of group `g` from the host's backward at the mixed weights, or
/// `None` if the loss does not reach it: then the copies in `reg`'s pair step on their
/// regularizer term alone if `reg` covers the group, and every other copy is left as it is with
/// its velocity (as burn's and PyTorch's optimizers leave a parameter without a gradient).
///
/// Everything is checked before anything changes: on an error (a wrong number or dims of
/// gradients or velocities, a point outside the shape, a `reg` for another region, an invalid
/// `config` or a negative or non-finite `lr`) the region and the state are as they were.
pub fn sgd_step<B: Backend>(
    region: &mut Region<B>,
    grads: Vec<Option<B::Tensor>>,
    points: &StepPoints,
    reg: Option<&Cos2>,
    state: &mut SgdState<B::Tensor>,
    config: &SgdConfig,
    lr: f64,
) -> Result<()> {
    let config = config.validate()?;
    non_negative("learning rate", lr)?;
    let groups = region.groups();
    let m = region.shape().copies();
    check_len("sgd_step", "gradients", groups.len(), grads.len())?;
    if let Some(r) = reg {
        Pair::new(r.pair.i(), r.pair.j(), m)?;
    }
    if !state.velocity.is_empty() {
        check_len(
            "sgd_step",
            "groups of velocities",
            groups.len(),
            state.velocity.len(),
        )?;
    }
    let mut plans = Vec::with_capacity(groups.len());
    for (g, (group, grad)) in groups.iter().zip(&grads).enumerate() {
        if let Some(grad) = grad {
            region.check_grad_dims("sgd_step", group, grad)?;
        }
        if let Some(velocity) = state.velocity.get(g) {
            check_len("sgd_step", "velocities of a group", m, velocity.len())?;
            for (k, v) in velocity.iter().enumerate() {
                if let Some(v) = v {
                    check_dims::<B>("sgd_step", group, v, || {
                        format!("velocity of {} copy {k}", group.name)
                    })?;
                }
            }
        }
        let c = region
            .shape()
            .coefficients(points.for_layer(group.layer)?)?;
        let copies: Vec<CopyGradient> = (0..m)
            .map(|k| CopyGradient {
                chain: c.as_slice()[k],
                regularizer: reg
                    .filter(|_| group.regularized)
                    .and_then(|r| r.grad_terms(k)),
            })
            .collect();
        let steps = grad.is_some() || copies.iter().any(|c| c.regularizer.is_some());
        plans.push(steps.then_some(copies));
    }

    if state.velocity.is_empty() {
        state.velocity = (0..groups.len()).map(|_| vec![None; m]).collect();
    }
    for (((group, grad), plan), velocity) in region
        .groups_mut()
        .iter_mut()
        .zip(grads)
        .zip(plans)
        .zip(&mut state.velocity)
    {
        let Some(copies) = plan else {
            continue;
        };
        let update = B::sgd_group(
            SgdGroup {
                weights: std::mem::take(&mut group.copies),
                velocities: std::mem::take(velocity),
                grad,
                copies,
            },
            lr,
            &config,
        );
        group.copies = update.weights;
        *velocity = update.velocities;
    }
    Ok(())
}
