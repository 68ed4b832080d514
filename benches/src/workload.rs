//! The kernels of `subspace-core`, as workloads of `n` parameters held as `m` copies.
//!
//! Each workload is one generic function ([`Prepared::run`]) instantiated per backend, so every
//! backend is timed on identical inputs: the same seeded copies, gradient and point.
//!
//! # Bytes moved
//!
//! [`Kernel::elements_moved`] counts the `f32` elements read and written per parameter by the
//! backend calls core makes, if each call is one pass over its inputs (STREAM's convention: a
//! write counts once, write-allocate traffic is not counted):
//!
//! | kernel | core's backend calls | elements per parameter |
//! |---|---|---|
//! | `mix` | one `lincomb` of `m` copies | `m + 1` |
//! | `scatter` | `m` × `scale(g, c_i)` | `2m` (fused it would be `m + 1`; the trait returns tensors one call at a time) |
//! | `cos2_value` | one `gram` of the pair, three scalars read back | `2` |
//! | `cos2_grads` | two `lincomb`s of two copies | `6` |
//! | `copy_gradients` | a 3-term `lincomb` (`g`, `w_i`, `w_j`) for each copy of the pair, a 2-term one (`g`, `w_i`) for the others | `8 + 3(m − 2)` |
//! | `swa_update`, `ema_update` | one 2-term `lincomb` | `3` |
//! | `sgd_step` | one `sgd_group`: every copy's gradient (`c_i g + dR/dw_i`), weight decay, momentum and update; read `g` and each copy and velocity, write each copy and velocity | `1 + 4m` |
//!
//! Bytes are `4 · n ·` that count; the achieved bandwidth is bytes over the median time.

use std::fmt;
use std::hint::black_box;

use rand::{RngExt, SeedableRng, rngs::ChaCha8Rng};
use subspace_core::{
    Coefficients, Cos2, Cos2Config, EmaState, Group, HostTensor, Momentum, Pair, Region, SgdConfig,
    SgdState, Shape, StepPoints, SwaState, copy_gradients, cos2_grads, cos2_regularizer, ema_init,
    ema_update, mix, sample_point, scatter, sgd_step, swa_init, swa_update,
};

use crate::backends::BenchBackend;
use crate::error::Result;

/// Parameter counts timed by default: `10³ ..= 10⁷`.
pub const SIZES: [usize; 5] = [1_000, 10_000, 100_000, 1_000_000, 10_000_000];

/// Numbers of copies timed for the kernels whose cost depends on `m`: a line, a triangle and a
/// 5-vertex simplex.
pub const COPIES: [usize; 3] = [2, 3, 5];

/// The weight decay `λ` of the timed [`copy_gradients`] and [`sgd_step`] (the paper's default).
const WEIGHT_DECAY: f64 = 1e-4;

/// The momentum and learning rate of the timed [`sgd_step`]: the paper's momentum, and a rate
/// small enough that thousands of steps on one gradient keep the copies near their start.
const MOMENTUM: f64 = 0.9;
const LR: f64 = 1e-4;

/// The seed of every workload's inputs.
const SEED: u64 = 2021;

/// A kernel of `subspace-core`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// [`mix`]: `w(p) = Σ_i c_i w_i`.
    Mix,
    /// [`scatter`]: `G_i = c_i g`.
    Scatter,
    /// [`cos2_regularizer`]: the value, with its one host transfer.
    Cos2Value,
    /// [`cos2_grads`]: `dR/dw_i` and `dR/dw_j`.
    Cos2Grads,
    /// [`copy_gradients`]: `c_i g + dR/dw_i + λ w_i` for every copy.
    CopyGradients,
    /// [`swa_update`]: `w̄ ← (n w̄ + w)/(n + 1)`.
    SwaUpdate,
    /// [`ema_update`]: `w̄ ← d w̄ + (1 − d) w`.
    EmaUpdate,
    /// [`sgd_step`]: the gradient of every copy, weight decay, momentum and the update, in
    /// place.
    SgdStep,
}

impl Kernel {
    /// Every kernel, in the order of the report.
    pub const ALL: [Self; 8] = [
        Self::Mix,
        Self::Scatter,
        Self::Cos2Value,
        Self::Cos2Grads,
        Self::CopyGradients,
        Self::SwaUpdate,
        Self::EmaUpdate,
        Self::SgdStep,
    ];

    /// The name used in group ids and tables.
    pub fn name(self) -> &'static str {
        match self {
            Self::Mix => "mix",
            Self::Scatter => "scatter",
            Self::Cos2Value => "cos2_value",
            Self::Cos2Grads => "cos2_grads",
            Self::CopyGradients => "copy_gradients",
            Self::SwaUpdate => "swa_update",
            Self::EmaUpdate => "ema_update",
            Self::SgdStep => "sgd_step",
        }
    }

    /// Whether the work grows with the number of copies `m` (otherwise it is timed for a line).
    pub fn depends_on_copies(self) -> bool {
        matches!(
            self,
            Self::Mix | Self::Scatter | Self::CopyGradients | Self::SgdStep
        )
    }

    /// `f32` elements read plus written per parameter with `copies` copies (module docs).
    pub fn elements_moved(self, copies: usize) -> usize {
        match self {
            Self::Mix => copies + 1,
            Self::Scatter => 2 * copies,
            Self::Cos2Value => 2,
            Self::Cos2Grads => 6,
            Self::CopyGradients => 8 + 3 * copies.saturating_sub(2),
            Self::SwaUpdate | Self::EmaUpdate => 3,
            Self::SgdStep => 1 + 4 * copies,
        }
    }
}

impl fmt::Display for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One kernel on `params` parameters held as `copies` copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Workload {
    /// The kernel.
    pub kernel: Kernel,
    /// `m`, the number of copies (2 for kernels that do not depend on it).
    pub copies: usize,
    /// `n`, the number of parameters.
    pub params: usize,
}

impl Workload {
    /// Every kernel × `m` ∈ [`COPIES`] (where the kernel depends on it) × `n` ∈ `sizes`.
    pub fn all(sizes: &[usize]) -> Vec<Self> {
        Kernel::ALL
            .into_iter()
            .flat_map(|kernel| {
                let copies: &[usize] = if kernel.depends_on_copies() {
                    &COPIES
                } else {
                    &COPIES[..1]
                };
                copies.iter().flat_map(move |&m| {
                    sizes.iter().map(move |&n| Self {
                        kernel,
                        copies: m,
                        params: n,
                    })
                })
            })
            .collect()
    }

    /// The bytes the kernel moves (module docs).
    pub fn bytes(&self) -> u64 {
        (4 * self.params * self.kernel.elements_moved(self.copies)) as u64
    }

    /// The shape with `m` copies: a line for two, a simplex otherwise.
    pub fn shape(&self) -> Result<Shape> {
        Ok(match self.copies {
            2 => Shape::Line,
            m => Shape::simplex(m)?,
        })
    }

    /// `kernel/m{m}`, e.g. `mix/m3`: the group of a criterion benchmark, without the backend.
    pub fn group(&self) -> String {
        format!("{}/m{}", self.kernel, self.copies)
    }
}

/// A workload's inputs uploaded to one device, ready to run repeatedly.
pub struct Prepared<B: BenchBackend> {
    workload: Workload,
    device: B::Device,
    region: Region<B>,
    grad: B::Tensor,
    points: StepPoints,
    coefficients: Coefficients,
    pair: Pair,
    reg: Cos2,
    swa: SwaState<B::Tensor>,
    ema: EmaState<B::Tensor>,
    /// The copies [`sgd_step`] updates (uploaded again: shared with nothing, so a backend may
    /// update them in place) and their velocities.
    sgd: (Region<B>, SgdState<B::Tensor>),
}

impl<B: BenchBackend> Prepared<B> {
    /// Draws the seeded inputs of `workload` (copies and gradient uniform in `[-1, 1)`, a
    /// sampled point) and uploads them to `device`.
    pub fn new(workload: Workload, device: &B::Device) -> Result<Self> {
        let mut rng = ChaCha8Rng::seed_from_u64(SEED);
        let n = workload.params;
        let draw = |rng: &mut ChaCha8Rng| -> Result<HostTensor> {
            let data = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
            Ok(HostTensor::new(vec![n], data)?)
        };
        let host = (0..workload.copies)
            .map(|_| draw(&mut rng))
            .collect::<Result<Vec<_>>>()?;
        let copies: Vec<B::Tensor> = host.iter().map(|h| B::from_host(h, device)).collect();
        let grad = B::from_host(&draw(&mut rng)?, device);
        let shape = workload.shape()?;
        let point = sample_point(shape, &mut rng);
        let coefficients = shape.coefficients(&point)?;
        let region_of = |copies: Vec<B::Tensor>| {
            Region::new(
                shape,
                vec![Group {
                    name: "params".into(),
                    layer: 0,
                    regularized: true,
                    copies,
                }],
            )
        };
        let region = region_of(copies.clone())?;
        let own_copies = host.iter().map(|h| B::from_host(h, device)).collect();
        let sgd = (region_of(own_copies)?, SgdState::new());
        let pair = Pair::new(0, 1, workload.copies)?;
        let reg = cos2_regularizer(&region, pair, Cos2Config::default())?;
        let swa = swa_init::<B>(vec![copies[0].clone()]);
        let ema = ema_init::<B>(vec![copies[0].clone()], 0.999)?;
        Ok(Self {
            workload,
            device: device.clone(),
            region,
            grad,
            points: StepPoints::Shared(point),
            coefficients,
            pair,
            reg,
            swa,
            ema,
            sgd,
        })
    }

    /// The workload.
    pub fn workload(&self) -> Workload {
        self.workload
    }

    /// Runs the kernel once through `subspace-core`, waits for the device, then drops the
    /// results (inside the call, as a training step drops them). The results are held until
    /// the device is done, so a backend that fuses lazily cannot skip writing them.
    pub fn run(&mut self) -> Result<()> {
        let copies = &self.region.groups()[0].copies;
        let params = || vec![copies[1].clone()];
        let outputs: Vec<B::Tensor> = match self.workload.kernel {
            Kernel::Mix => vec![mix::<B>(copies, &self.coefficients)?],
            Kernel::Scatter => scatter::<B>(self.grad.clone(), &self.coefficients),
            Kernel::Cos2Value => {
                black_box(cos2_regularizer(
                    &self.region,
                    self.pair,
                    Cos2Config::default(),
                )?);
                Vec::new()
            }
            Kernel::Cos2Grads => cos2_grads(&self.region, &self.reg)?
                .into_iter()
                .flatten()
                .flat_map(|(gi, gj)| [gi, gj])
                .collect(),
            Kernel::CopyGradients => copy_gradients(
                &self.region,
                vec![self.grad.clone()],
                &self.points,
                Some(&self.reg),
                WEIGHT_DECAY,
            )?
            .into_iter()
            .flatten()
            .collect(),
            Kernel::SwaUpdate => swa_update::<B>(self.swa.clone(), params())?.average,
            Kernel::EmaUpdate => ema_update::<B>(self.ema.clone(), params())?.average,
            Kernel::SgdStep => {
                let (region, state) = &mut self.sgd;
                let config = SgdConfig::new()
                    .with_momentum(Momentum::new(MOMENTUM))
                    .with_weight_decay(WEIGHT_DECAY);
                let grads = vec![Some(self.grad.clone())];
                sgd_step(
                    region,
                    grads,
                    &self.points,
                    Some(&self.reg),
                    state,
                    &config,
                    LR,
                )?;
                Vec::new()
            }
        };
        B::synchronize(&self.device)?;
        drop(black_box(outputs));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backends::{BackendVisitor, visit_backends};

    #[test]
    fn bytes_follow_the_accounting_table() {
        let bytes = |kernel, copies| {
            Workload {
                kernel,
                copies,
                params: 10,
            }
            .bytes()
        };
        assert_eq!(bytes(Kernel::Mix, 3), 4 * 10 * 4);
        assert_eq!(bytes(Kernel::Scatter, 5), 4 * 10 * 10);
        assert_eq!(bytes(Kernel::Cos2Value, 2), 4 * 10 * 2);
        assert_eq!(bytes(Kernel::Cos2Grads, 2), 4 * 10 * 6);
        assert_eq!(bytes(Kernel::CopyGradients, 2), 4 * 10 * 8);
        assert_eq!(bytes(Kernel::CopyGradients, 5), 4 * 10 * 17);
        assert_eq!(bytes(Kernel::EmaUpdate, 2), 4 * 10 * 3);
        assert_eq!(bytes(Kernel::SgdStep, 3), 4 * 10 * 13);
    }

    #[test]
    fn every_kernel_appears_once_per_copies_and_size() {
        let all = Workload::all(&[10, 20]);
        assert_eq!(all.len(), 2 * (4 * COPIES.len() + 4));
        assert!(all.iter().all(|w| w.shape().unwrap().copies() == w.copies));
        assert_eq!(
            all.iter().filter(|w| w.kernel == Kernel::Mix).count(),
            2 * COPIES.len()
        );
    }

    /// Runs every workload once on every compiled backend and records their names.
    struct RunAll(Vec<String>);

    impl BackendVisitor for RunAll {
        fn visit<B: BenchBackend>(&mut self, device: &B::Device) {
            for w in Workload::all(&[1, 300]) {
                let mut prepared = Prepared::<B>::new(w, device).unwrap();
                assert_eq!(prepared.workload(), w);
                prepared.run().unwrap();
            }
            self.0.push(B::name(device));
        }
    }

    #[test]
    fn every_kernel_runs_on_every_backend() {
        let mut run = RunAll(Vec::new());
        visit_backends(&mut run).unwrap();
        assert_eq!(run.0, ["reference", "burn-flex", "luminal-cpu"]);
    }
}
