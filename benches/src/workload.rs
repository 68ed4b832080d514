//! The kernels of `subspace-core`, as workloads of `n` parameters held as `m` copies.
//!
//! Each workload is one generic function ([`Prepared::run`]) instantiated per backend, so every
//! backend is timed on identical inputs: the same seeded copies, gradient and point.
//!
//! # Bytes moved
//!
//! One convention for every kernel and backend, the roofline's: a kernel's **useful bytes**
//! ([`Kernel::useful_elements`]), every tensor it reads counted once and every tensor it writes
//! counted once (a copy or velocity updated in place is read and written: twice), as a kernel
//! that made one pass over its tensors would move them; write-allocate traffic is not counted
//! (STREAM's convention). The count is the same for every backend, so the share of the
//! bandwidth it gives is the kernel's time at the machine's limit over its measured time, and
//! on one workload the backends' shares rank them as their times do.
//!
//! What a backend moves *as it runs* the kernel ([`Kernel::elements_as_run`]) can be more: core
//! calls the [`Backend`](subspace_core::Backend) one tensor at a time, and a provided method
//! that a backend does not override runs core's default on top of `lincomb` and `dot`. Counted
//! from those calls, each call one pass (exact where `lincomb` and `dot` are one pass, a lower
//! bound elsewhere; see [`Passes`]):
//!
//! | kernel | useful: read + written | elements per parameter | as run: core's backend calls | elements per parameter |
//! |---|---|---|---|---|
//! | `mix` | `m` copies + `w(p)` | `m + 1` | one `lincomb` of `m` copies | `m + 1` |
//! | `scatter` | `g` + `m` gradients | `m + 1` | `m` × `scale(g, c_i)` | `2m` |
//! | `cos2_value` | `w_i`, `w_j` | `2` | `gram` of the pair (core's default: three `dot`s) | `2` (default: `4`) |
//! | `cos2_grads` | `w_i`, `w_j` + two gradients | `4` | two `lincomb`s of the pair | `6` |
//! | `copy_gradients` | `g` + `m` copies + `m` gradients | `2m + 1` | a 3-term `lincomb` (`g`, `w_i`, `w_j`) per copy of the pair, a 2-term one (`g`, `w_i`) per other copy | `3m + 2` |
//! | `swa_update`, `ema_update` | average, copy + average | `3` | one 2-term `lincomb` | `3` |
//! | `sgd_step` | `g` + `m` copies and `m` velocities, updated in place | `4m + 1` | one fused `sgd_group` (burn on flex); core's `sgd_group_by_lincomb` elsewhere: per copy of the pair `G_k` from `g`, `w_k`, `w_other` (4), weight decay (3), velocity (3), update (3); per other copy `G_k = c_k g` (2) and the same 9 | `4m + 1`; by `lincomb`: `11m + 4` |
//!
//! The `sgd_step` counts are for this workload's settings: momentum 0.9 without Nesterov,
//! weight decay, the cos² pair `(0, 1)`, and velocities from the earlier calls.
//!
//! [`Kernel::footprint`] is the number of distinct tensors a kernel touches: the useful count
//! with in-place tensors once. The report compares each kernel with the STREAM triad over
//! arrays totalling the same bytes, so a kernel whose data stays in a cache is compared with
//! the triad from that cache.
//!
//! Bytes are `4 · n ·` a count; the achieved bandwidth is useful bytes over the median time.

use std::fmt;
use std::hint::black_box;

use rand::{RngExt, SeedableRng, rngs::ChaCha8Rng};
use subspace_core::{
    Coefficients, Cos2, Cos2Config, EmaState, Group, HostTensor, Momentum, Pair, Region, SgdConfig,
    SgdState, Shape, StepPoints, SwaState, copy_gradients, cos2_grads, cos2_regularizer, ema_init,
    ema_update, mix, sample_point, scatter, sgd_step, swa_init, swa_update,
};

use crate::backends::{BenchBackend, Passes};
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

/// The copies of the timed cos² regularizer.
const PAIR: (usize, usize) = (0, 1);

/// The settings of the timed [`sgd_step`]: momentum [`MOMENTUM`] (no dampening, no Nesterov)
/// and weight decay [`WEIGHT_DECAY`].
fn sgd_config() -> SgdConfig {
    SgdConfig::new()
        .with_momentum(Momentum::new(MOMENTUM))
        .with_weight_decay(WEIGHT_DECAY)
}

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

    /// The useful `f32` elements per parameter with `copies` copies: every tensor read once
    /// plus every tensor written once (module docs). The bytes of the report's shares.
    pub fn useful_elements(self, copies: usize) -> usize {
        match self {
            // g read; copies and velocities read and written.
            Self::SgdStep => 1 + 2 * (copies + velocities(copies)),
            _ => self.footprint(copies),
        }
    }

    /// The distinct tensors of `n` elements the kernel touches with `copies` copies: its
    /// inputs and outputs, a tensor updated in place once.
    pub fn footprint(self, copies: usize) -> usize {
        match self {
            Self::Mix | Self::Scatter => copies + 1,
            Self::Cos2Value => 2,
            Self::Cos2Grads => 4,
            Self::CopyGradients => 2 * copies + 1,
            Self::SwaUpdate | Self::EmaUpdate => 3,
            Self::SgdStep => 1 + copies + velocities(copies),
        }
    }

    /// The `f32` elements per parameter the kernel moves with `copies` copies as a backend
    /// that runs `passes` runs it: core's backend calls (and the default implementations of
    /// the methods the backend does not override), each call one pass over its tensors
    /// (module docs). A lower bound where the backend's `lincomb` and `dot` are not one pass.
    pub fn elements_as_run(self, copies: usize, passes: Passes) -> Traffic {
        let elements = match self {
            Self::Mix => copies + 1,
            Self::Scatter => 2 * copies,
            // core's default gram: <a, b> reads both, |a|² and |b|² one each.
            Self::Cos2Value if passes.gram => 2,
            Self::Cos2Value => 4,
            Self::Cos2Grads => 6,
            Self::CopyGradients => (0..copies).map(|k| if in_pair(k) { 4 } else { 3 }).sum(),
            Self::SwaUpdate | Self::EmaUpdate => 3,
            Self::SgdStep if passes.sgd_group => self.useful_elements(copies),
            Self::SgdStep => sgd_by_lincomb_elements(copies, &sgd_config()),
        };
        Traffic {
            elements,
            lower_bound: !passes.primitives,
        }
    }
}

/// The velocities the timed [`sgd_step`] keeps for `copies` copies: one per copy with momentum.
fn velocities(copies: usize) -> usize {
    if sgd_config().momentum.is_some() {
        copies
    } else {
        0
    }
}

/// Whether copy `k` is in the timed regularizer's pair.
fn in_pair(k: usize) -> bool {
    k == PAIR.0 || k == PAIR.1
}

/// Elements per parameter of core's `sgd_group_by_lincomb` with `copies` copies, velocities
/// from an earlier step and the regularizer on [`PAIR`], each `lincomb` of `k` terms reading
/// `k` tensors and writing one: per copy `G_k` (`c_k g`, and `w_k`, `w_other` in the pair),
/// then weight decay `λ w_k + G_k`, the velocity `(1 − τ) G_k + μ v_k`, Nesterov's `μ v_k +
/// G_k`, and the update `w_k − η u_k`.
fn sgd_by_lincomb_elements(copies: usize, config: &SgdConfig) -> usize {
    let two_terms = 3;
    (0..copies)
        .map(|k| {
            let gradient = if in_pair(k) { 3 } else { 1 } + 1;
            let decay = if config.weight_decay != 0.0 {
                two_terms
            } else {
                0
            };
            let momentum = config
                .momentum
                .map_or(0, |m| two_terms + if m.nesterov { two_terms } else { 0 });
            gradient + decay + momentum + two_terms
        })
        .sum()
}

/// Elements per parameter a kernel moves as a backend runs it ([`Kernel::elements_as_run`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Traffic {
    /// The elements counted from the backend's calls.
    pub elements: usize,
    /// Whether the backend moves more than counted (its `lincomb` and `dot` are not one pass).
    pub lower_bound: bool,
}

impl fmt::Display for Traffic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.lower_bound {
            f.write_str("≥ ")?;
        }
        write!(f, "{}", self.elements)
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

    /// The kernel's useful bytes ([`Kernel::useful_elements`], module docs): the bytes of its
    /// bandwidth and share.
    pub fn bytes(&self) -> u64 {
        (size_of::<f32>() * self.params * self.kernel.useful_elements(self.copies)) as u64
    }

    /// The bytes of the distinct tensors the kernel touches ([`Kernel::footprint`]): how much
    /// of a cache it occupies.
    pub fn footprint_bytes(&self) -> u64 {
        (size_of::<f32>() * self.params * self.kernel.footprint(self.copies)) as u64
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
        let point = sample_point(shape, &mut rng)?;
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
        let pair = Pair::new(PAIR.0, PAIR.1, workload.copies)?;
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
            Kernel::SwaUpdate => swa_update::<B>(&self.swa, params())?.average,
            Kernel::EmaUpdate => ema_update::<B>(&self.ema, params())?.average,
            Kernel::SgdStep => {
                let (region, state) = &mut self.sgd;
                let config = sgd_config();
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
    fn bytes_are_the_useful_bytes_of_the_accounting_table() {
        let bytes = |kernel, copies| {
            Workload {
                kernel,
                copies,
                params: 10,
            }
            .bytes()
        };
        assert_eq!(bytes(Kernel::Mix, 3), 4 * 10 * 4);
        assert_eq!(bytes(Kernel::Scatter, 5), 4 * 10 * 6);
        assert_eq!(bytes(Kernel::Cos2Value, 2), 4 * 10 * 2);
        assert_eq!(bytes(Kernel::Cos2Grads, 2), 4 * 10 * 4);
        assert_eq!(bytes(Kernel::CopyGradients, 2), 4 * 10 * 5);
        assert_eq!(bytes(Kernel::CopyGradients, 5), 4 * 10 * 11);
        assert_eq!(bytes(Kernel::EmaUpdate, 2), 4 * 10 * 3);
        assert_eq!(bytes(Kernel::SgdStep, 3), 4 * 10 * 13);
        // In place: the copies and velocities are touched once, moved twice.
        let sgd = Workload {
            kernel: Kernel::SgdStep,
            copies: 3,
            params: 10,
        };
        assert_eq!(sgd.footprint_bytes(), 4 * 10 * 7);
        for kernel in Kernel::ALL.into_iter().filter(|&k| k != Kernel::SgdStep) {
            assert_eq!(kernel.footprint(3), kernel.useful_elements(3), "{kernel}");
        }
    }

    #[test]
    fn sgd_step_by_lincomb_moves_about_three_times_its_useful_elements() {
        let by_lincomb = Passes {
            primitives: true,
            gram: true,
            sgd_group: false,
        };
        let fused = Passes {
            sgd_group: true,
            ..by_lincomb
        };
        let as_run = |copies, passes| Kernel::SgdStep.elements_as_run(copies, passes).elements;
        // 13 per copy of the pair, 11 per other copy.
        assert_eq!(as_run(2, by_lincomb), 26);
        assert_eq!(as_run(5, by_lincomb), 59);
        assert_eq!(as_run(2, fused), 9);
        assert_eq!(as_run(5, fused), 21);
    }

    /// The reference's tensors and arithmetic, with every operation left to core's defaults
    /// and the elements each call reads and writes tallied: checks
    /// [`Kernel::elements_as_run`] against the calls core makes.
    #[derive(Debug, Clone, Copy)]
    struct Counting;

    thread_local! {
        static ELEMENTS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    fn tally(elements: usize) {
        ELEMENTS.with(|e| e.set(e.get() + elements));
    }

    impl subspace_core::Backend for Counting {
        type Device = subspace_reference::Cpu;
        type Tensor = subspace_reference::Tensor;
        type Scalar = f64;

        fn name(_device: &Self::Device) -> String {
            "counting".into()
        }
        fn from_host(tensor: &HostTensor, device: &Self::Device) -> Self::Tensor {
            subspace_reference::Reference::from_host(tensor, device)
        }
        fn tensor_to_host(
            tensor: Self::Tensor,
        ) -> std::result::Result<HostTensor, subspace_core::BackendError> {
            subspace_reference::Reference::tensor_to_host(tensor)
        }
        fn to_host(
            scalars: Vec<f64>,
        ) -> std::result::Result<Vec<f64>, subspace_core::BackendError> {
            Ok(scalars)
        }
        fn dims(tensor: &Self::Tensor) -> Vec<usize> {
            tensor.shape().to_vec()
        }
        fn lincomb(terms: Vec<(f64, Self::Tensor)>) -> Self::Tensor {
            tally(terms.iter().map(|(_, x)| x.len()).sum::<usize>() + terms[0].1.len());
            subspace_reference::Reference::lincomb(terms)
        }
        fn dot(a: Self::Tensor, b: Self::Tensor) -> f64 {
            // `|a|²` is `dot(a, a)`: one tensor read.
            tally(if std::sync::Arc::ptr_eq(&a, &b) {
                a.len()
            } else {
                a.len() + b.len()
            });
            subspace_reference::Reference::dot(a, b)
        }
    }

    impl BenchBackend for Counting {
        fn placement(_device: &Self::Device) -> crate::backends::Placement {
            crate::backends::Placement::CallingThread
        }
        fn passes(_device: &Self::Device) -> Passes {
            Passes {
                primitives: true,
                gram: false,
                sgd_group: false,
            }
        }
        fn synchronize(
            _device: &Self::Device,
        ) -> std::result::Result<(), subspace_core::BackendError> {
            Ok(())
        }
    }

    #[test]
    fn elements_as_run_are_what_cores_calls_move() {
        let n = 7;
        for w in Workload::all(&[n]) {
            let mut prepared = Prepared::<Counting>::new(w, &subspace_reference::Cpu).unwrap();
            // The first sgd_step starts the velocities (a clone, no pass).
            prepared.run().unwrap();
            ELEMENTS.with(|e| e.set(0));
            prepared.run().unwrap();
            let counted = ELEMENTS.with(std::cell::Cell::get);
            let model = w
                .kernel
                .elements_as_run(w.copies, Counting::passes(&subspace_reference::Cpu));
            assert_eq!(counted, n * model.elements, "{}", w.group());
            assert!(!model.lower_bound);
        }
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
