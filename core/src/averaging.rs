//! Weight averaging baselines through the same backend: SWA and EMA (SPEC.md §7).
//!
//! Written as optax-style pairs of pure functions: `init(params) -> state` and
//! `update(&state, params) -> state`. The state is explicit, so saving it resumes exactly, and
//! borrowed, so a failed update leaves it as it was.

use crate::backend::{Backend, check_same_dims};
use crate::error::{Error, Result, finite};
use crate::region::check_len;

/// A uniform running average `w̄_n = (1/n) Σ_{k=1..n} w_k` and the count `n`.
#[derive(Debug, Clone)]
pub struct SwaState<T> {
    /// `w̄_n`, one tensor per parameter.
    pub average: Vec<T>,
    /// `n`, the number of weights averaged.
    pub count: u64,
}

/// `w̄_1 = w_1`.
pub fn swa_init<B: Backend>(params: Vec<B::Tensor>) -> SwaState<B::Tensor> {
    SwaState {
        average: params,
        count: 1,
    }
}

/// `w̄_{n+1} = (n/(n+1)) w̄_n + (1/(n+1)) w_{n+1}`.
///
/// Errors if `params` do not match the average in number or dims.
pub fn swa_update<B: Backend>(
    state: &SwaState<B::Tensor>,
    params: Vec<B::Tensor>,
) -> Result<SwaState<B::Tensor>> {
    let n = state.count as f64;
    let average = blend::<B>("swa_update", &state.average, params, n / (n + 1.0))?;
    Ok(SwaState {
        average,
        count: state.count + 1,
    })
}

/// An exponential moving average `w̄ ← d w̄ + (1-d) w`.
#[derive(Debug, Clone)]
pub struct EmaState<T> {
    /// `w̄`, one tensor per parameter.
    pub average: Vec<T>,
    /// The decay `d ∈ [0, 1)`.
    pub decay: f64,
    /// Updates applied since `init`.
    pub updates: u64,
}

/// `w̄ = w`, after validating `d ∈ [0, 1)`.
pub fn ema_init<B: Backend>(params: Vec<B::Tensor>, decay: f64) -> Result<EmaState<B::Tensor>> {
    Ok(EmaState {
        average: params,
        decay: check_decay(decay)?,
        updates: 0,
    })
}

/// `d` if it is in `[0, 1)`.
fn check_decay(decay: f64) -> Result<f64> {
    if !(0.0..1.0).contains(&finite("ema decay", decay)?) {
        return Err(Error::InvalidNumber {
            what: "ema decay",
            value: decay,
            expected: "a number in [0, 1)",
        });
    }
    Ok(decay)
}

/// `w̄ ← d w̄ + (1 - d) w`.
///
/// Errors if the decay is not in `[0, 1)` (a state changed by hand) or `params` do not match
/// the average in number or dims.
pub fn ema_update<B: Backend>(
    state: &EmaState<B::Tensor>,
    params: Vec<B::Tensor>,
) -> Result<EmaState<B::Tensor>> {
    check_decay(state.decay)?;
    let average = blend::<B>("ema_update", &state.average, params, state.decay)?;
    Ok(EmaState {
        average,
        decay: state.decay,
        updates: state.updates + 1,
    })
}

/// `k · old + (1 - k) · new`, tensor by tensor, after checking every count and dims.
fn blend<B: Backend>(
    operation: &'static str,
    old: &[B::Tensor],
    new: Vec<B::Tensor>,
    k: f64,
) -> Result<Vec<B::Tensor>> {
    check_len(operation, "parameters", old.len(), new.len())?;
    for (p, (o, n)) in old.iter().zip(&new).enumerate() {
        check_same_dims::<B>(operation, &[o.clone(), n.clone()], |_| {
            format!("parameter {p}")
        })?;
    }
    Ok(old
        .iter()
        .zip(new)
        .map(|(o, n)| B::lincomb(vec![(k, o.clone()), (1.0 - k, n)]))
        .collect())
}
