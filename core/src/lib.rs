//! # subspace-core
//!
//! Learn a whole line, curve or simplex of neural networks in one training run (Wortsman,
//! Horton, Guestrin, Farhadi, Rastegari, "Learning Neural Network Subspaces", ICML 2021).
//!
//! This crate is the framework-free math: [shapes](Shape) and validated [points](Point),
//! [samplers](PointSchedule), the [mix](mix()) and gradient [scatter](scatter()), the
//! whole-network [cos² regularizer](cos2_regularizer), per-copy [gradients](copy_gradients) and
//! an [SGD step](sgd_step) of every copy fused with them,
//! [SWA and EMA](swa_update), [metrics], and a framework-neutral [region file](save_region)
//! (safetensors) that any adapter writes and any other reads. Tensor work goes through the small
//! [`Backend`] trait; adapters implement it for burn, luminal and a CPU reference.
//!
//! # The plugin contract
//!
//! One training step, with copies owned by a [`Region`] and an ordinary host model:
//!
//! 1. `points = schedule.points(step, region.layers())` — point(s) of the region;
//! 2. `w = region.mix(&points)?` — the host model gets `w(p)`;
//! 3. host forward and backward at `w` — the gradient `g` at `w(p)`;
//! 4. `G = copy_gradients(&region, g, &points, reg, λ)?` — `c_i(p) g + dR/dw_i + λ w_i`;
//! 5. the host optimizer steps every copy with its own state.
//!
//! With SGD, steps 4 and 5 can be one call, [`sgd_step`], which a backend may run as one pass
//! over the gradient, the copies and their velocities (and step 2, with the regularizer's sums,
//! one pass over the copies: [`Region::mix_with_cos2`]).
//!
//! ```
//! use subspace_core::{Backend, Cos2Config, PointSchedule, Region, Result, copy_gradients,
//!     cos2_regularizer};
//!
//! /// One step; `backward` is the host model's forward and backward at the given weights.
//! fn step<B: Backend>(
//!     region: &Region<B>,
//!     schedule: &PointSchedule,
//!     step: u64,
//!     backward: impl FnOnce(Vec<B::Tensor>) -> Vec<B::Tensor>,
//! ) -> Result<Vec<Vec<B::Tensor>>> {
//!     let points = schedule.points(step, region.layers())?;    // 1. sample
//!     let w = region.mix(&points)?;                             // 2. mix
//!     let g = backward(w);                                      // 3. host backward at w(p)
//!     let reg = match schedule.pair(step) {                     //    cos² on a random pair
//!         Some(pair) => Some(cos2_regularizer(region, pair, Cos2Config::default())?),
//!         None => None,
//!     };
//!     copy_gradients(region, g, &points, reg.as_ref(), 1e-4)    // 4. one gradient per copy
//! }                                                             // 5. the optimizer steps them
//! ```

#![deny(missing_docs)]

mod atomic_file;
mod averaging;
mod backend;
mod contract;
mod error;
pub mod metrics;
mod mix;
mod region;
mod region_file;
mod regularizer;
mod sampler;
mod sgd;
mod shape;

pub use atomic_file::{AtomicWriteError, write_atomic};
pub use averaging::{EmaState, SwaState, ema_init, ema_update, swa_init, swa_update};
pub use backend::{Backend, BackendError, Gram, HostTensor};
pub use contract::{copy_gradients, weight_decay};
pub use error::{Error, Result};
pub use mix::{mix, scatter};
pub use region::{Group, Region};
pub use region_file::{
    REGION_FORMAT, RegionFileError, load_region, read_region_file, save_region, write_region_file,
};
pub use regularizer::{Cos2, Cos2Config, DEFAULT_EPS, Pair, cos2_grads, cos2_regularizer};
pub use sampler::{PointSchedule, Sharing, StepPoints, sample_point, sample_step};
pub use sgd::{
    CopyGradient, Momentum, SgdConfig, SgdGroup, SgdGroupUpdate, SgdState, Term,
    sgd_group_by_lincomb, sgd_step,
};
pub use shape::{
    Alpha, Coefficients, MAX_BEZIER_DEGREE, MAX_COPIES, Point, SIMPLEX_SUM_TOLERANCE, Shape,
    SimplexPoint,
};
