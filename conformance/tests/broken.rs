//! The suite rejects deliberately broken backends: the reference with one flaw each.
//!
//! [`Flawed<F>`] is a decorator over the reference backend that swaps in one faulty operation;
//! each test asserts that the checks which should notice the flaw return `Err`, naming the
//! property and the input, and that checks which do not use the faulty operation still pass
//! (so the rejections are specific, not noise).

use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

use subspace_conformance::{
    DEFAULT_CASES, Failure, Report, SuiteConfig, check_copy_distance, check_copy_gradients,
    check_cos2, check_cos2_finite_differences, check_golden, check_mix, check_mix_with_cos2,
    check_partition_of_unity, check_scatter, check_sgd_step, check_shape_agreement,
    check_shared_inputs_kept, check_swa, check_vertices_exact,
};
use subspace_core::{
    Backend, BackendError, Gram, HostTensor, Momentum, SgdConfig, SgdGroup, SgdGroupUpdate,
    sgd_group_by_lincomb,
};
use subspace_reference::{Cpu, Reference, Tensor};

/// One faulty operation; the others are the reference's.
trait Flaw: 'static {
    const NAME: &'static str;

    fn lincomb(terms: Vec<(f64, Tensor)>) -> Tensor {
        Reference::lincomb(terms)
    }

    fn gram(a: Tensor, b: Tensor) -> Gram<f64> {
        Reference::gram(a, b)
    }

    /// Core's provided `lincomb_gram`, over this flaw's `lincomb` and `gram`.
    fn lincomb_gram(
        terms: Vec<(f64, Tensor)>,
        pair: Option<(usize, usize)>,
    ) -> (Tensor, Option<Gram<f64>>) {
        let gram = pair.map(|(i, j)| Self::gram(terms[i].1.clone(), terms[j].1.clone()));
        (Self::lincomb(terms), gram)
    }

    /// Core's provided `sgd_group`, over this flaw's `lincomb`.
    fn sgd_group(group: SgdGroup<Tensor>, lr: f64, config: &SgdConfig) -> SgdGroupUpdate<Tensor>
    where
        Self: Sized,
    {
        sgd_group_by_lincomb::<Flawed<Self>>(group, lr, config)
    }
}

/// The reference backend with the flaw `F`.
#[derive(Debug)]
struct Flawed<F>(PhantomData<F>);

impl<F: Flaw> Backend for Flawed<F> {
    type Device = Cpu;
    type Tensor = Tensor;
    type Scalar = f64;

    fn name(_device: &Cpu) -> String {
        F::NAME.into()
    }

    fn from_host(tensor: &HostTensor, device: &Cpu) -> Tensor {
        Reference::from_host(tensor, device)
    }

    fn tensor_to_host(tensor: Tensor) -> Result<HostTensor, BackendError> {
        Reference::tensor_to_host(tensor)
    }

    fn to_host(scalars: Vec<f64>) -> Result<Vec<f64>, BackendError> {
        Reference::to_host(scalars)
    }

    fn dims(tensor: &Tensor) -> Vec<usize> {
        Reference::dims(tensor)
    }

    fn lincomb(terms: Vec<(f64, Tensor)>) -> Tensor {
        F::lincomb(terms)
    }

    fn dot(a: Tensor, b: Tensor) -> f64 {
        F::gram(a, b).ab
    }

    fn gram(a: Tensor, b: Tensor) -> Gram<f64> {
        F::gram(a, b)
    }

    fn lincomb_gram(
        terms: Vec<(f64, Tensor)>,
        pair: Option<(usize, usize)>,
    ) -> (Tensor, Option<Gram<f64>>) {
        F::lincomb_gram(terms, pair)
    }

    fn sgd_group(group: SgdGroup<Tensor>, lr: f64, config: &SgdConfig) -> SgdGroupUpdate<Tensor> {
        F::sgd_group(group, lr, config)
    }
}

/// `lincomb` forgets its last term (an off-by-one in a kernel's loop).
struct DropsLastTerm;

impl Flaw for DropsLastTerm {
    const NAME: &'static str = "drops-last-term";

    fn lincomb(mut terms: Vec<(f64, Tensor)>) -> Tensor {
        if terms.len() > 1 {
            terms.pop();
        }
        Reference::lincomb(terms)
    }
}

/// `<a, b>` comes back with the wrong sign (norms are right), so cos² keeps its value but its
/// gradient points the wrong way.
struct WrongSignDot;

impl Flaw for WrongSignDot {
    const NAME: &'static str = "wrong-sign-dot";

    fn gram(a: Tensor, b: Tensor) -> Gram<f64> {
        let g = Reference::gram(a, b);
        Gram { ab: -g.ab, ..g }
    }
}

/// `<a, b>` is 0.1% too large: a subtle accumulation bug.
struct PerturbedDot;

impl Flaw for PerturbedDot {
    const NAME: &'static str = "perturbed-dot";

    fn gram(a: Tensor, b: Tensor) -> Gram<f64> {
        let g = Reference::gram(a, b);
        Gram {
            ab: g.ab * 1.001,
            ..g
        }
    }
}

/// Affine combinations computed in `f32` as `x_0 + Σ_{k>0} c_k (x_k − x_0)`: within rounding
/// of the right value, but not the endpoint itself at a vertex.
struct LerpInF32;

impl Flaw for LerpInF32 {
    const NAME: &'static str = "lerp-in-f32";

    fn lincomb(terms: Vec<(f64, Tensor)>) -> Tensor {
        let sum: f64 = terms.iter().map(|(c, _)| c).sum();
        if terms.len() < 2 || (sum - 1.0).abs() > 1e-12 {
            return Reference::lincomb(terms);
        }
        let x0 = terms[0].1.clone();
        let out = terms[1..].iter().fold((*x0).clone(), |mut acc, (c, x)| {
            let c = *c as f32;
            acc.iter_mut()
                .zip(x.iter().zip(x0.iter()))
                .for_each(|(a, (&xk, &x0k))| *a += c * (xk - x0k));
            acc
        });
        Tensor::new(out)
    }
}

/// A fused `lincomb_gram` that takes the coefficients in reverse order (`c_{m-1-k}` on copy
/// `k`): right at every point whose coefficients are symmetric, such as every shape's midpoint,
/// and wrong elsewhere. Its `lincomb` (the unfused mix) is right.
struct ReversedLincombGram;

impl Flaw for ReversedLincombGram {
    const NAME: &'static str = "reversed-lincomb-gram";

    fn lincomb_gram(
        terms: Vec<(f64, Tensor)>,
        pair: Option<(usize, usize)>,
    ) -> (Tensor, Option<Gram<f64>>) {
        let gram = pair.map(|(i, j)| Reference::gram(terms[i].1.clone(), terms[j].1.clone()));
        let (c, x): (Vec<f64>, Vec<Tensor>) = terms.into_iter().unzip();
        let reversed = c.into_iter().rev().zip(x).collect();
        (Reference::lincomb(reversed), gram)
    }
}

/// A fused `sgd_group` that ignores momentum's dampening: `v ← G + μ v` instead of
/// `(1 − τ) G + μ v` (right whenever `τ = 0`, and at every copy's first step).
struct UndampedSgdGroup;

impl Flaw for UndampedSgdGroup {
    const NAME: &'static str = "undamped-sgd-group";

    fn sgd_group(group: SgdGroup<Tensor>, lr: f64, config: &SgdConfig) -> SgdGroupUpdate<Tensor> {
        let momentum = config.momentum.map(|m| Momentum {
            dampening: 0.0,
            ..m
        });
        sgd_group_by_lincomb::<Reference>(
            group,
            lr,
            &SgdConfig {
                momentum,
                ..*config
            },
        )
    }
}

/// A fused `sgd_group` that steps every copy of a group the loss does not reach, as if its
/// gradient were zero: a copy outside the regularizer's pair gets `G = λ w` and a velocity
/// instead of keeping its weight and velocity.
struct StepsCopiesWithoutGradient;

impl Flaw for StepsCopiesWithoutGradient {
    const NAME: &'static str = "steps-copies-without-gradient";

    fn sgd_group(
        mut group: SgdGroup<Tensor>,
        lr: f64,
        config: &SgdConfig,
    ) -> SgdGroupUpdate<Tensor> {
        if group.grad.is_none() {
            group.grad = Some(Reference::scale(group.weights[0].clone(), 0.0));
        }
        sgd_group_by_lincomb::<Reference>(group, lr, config)
    }
}

/// A tensor whose clones share one writable buffer: what a backend that reuses buffers holds
/// behind its handles.
#[derive(Debug, Clone)]
struct SharedBuffer {
    dims: Vec<usize>,
    data: Arc<Mutex<Vec<f32>>>,
}

impl SharedBuffer {
    fn host(&self) -> HostTensor {
        let data = self.data.lock().expect("no writer panicked").clone();
        HostTensor::new(self.dims.clone(), data).expect("dims match the buffer")
    }

    fn reference(&self) -> Tensor {
        Reference::from_host(&self.host(), &Cpu)
    }
}

/// The reference's values, but every `lincomb` is written into its first term's buffer even
/// when another handle shares it (buffer reuse without checking ownership).
#[derive(Debug)]
struct ClobbersSharedInputs;

impl Backend for ClobbersSharedInputs {
    type Device = Cpu;
    type Tensor = SharedBuffer;
    type Scalar = f64;

    fn name(_device: &Cpu) -> String {
        "clobbers-shared-inputs".into()
    }

    fn from_host(tensor: &HostTensor, _device: &Cpu) -> SharedBuffer {
        SharedBuffer {
            dims: tensor.dims().to_vec(),
            data: Arc::new(Mutex::new(tensor.data().to_vec())),
        }
    }

    fn tensor_to_host(tensor: SharedBuffer) -> Result<HostTensor, BackendError> {
        Ok(tensor.host())
    }

    fn to_host(scalars: Vec<f64>) -> Result<Vec<f64>, BackendError> {
        Ok(scalars)
    }

    fn dims(tensor: &SharedBuffer) -> Vec<usize> {
        tensor.dims.clone()
    }

    fn lincomb(terms: Vec<(f64, SharedBuffer)>) -> SharedBuffer {
        let sum = Reference::lincomb(terms.iter().map(|(c, x)| (*c, x.reference())).collect());
        let first = terms[0].1.clone();
        *first.data.lock().expect("no writer panicked") = sum.iter().copied().collect();
        first
    }

    fn dot(a: SharedBuffer, b: SharedBuffer) -> f64 {
        Reference::dot(a.reference(), b.reference())
    }
}

type Check = fn(&Cpu, &SuiteConfig) -> Result<Report, Failure>;

/// Asserts that every check in `rejecting` fails on `B`, naming its property and an input, and
/// that every check in `passing` succeeds.
fn assert_rejected<B: Backend<Device = Cpu>>(rejecting: &[(&str, Check)], passing: &[Check]) {
    // Enough cases to meet each flaw even when PROPTEST_CASES is set low.
    let env = SuiteConfig::from_env();
    let config = SuiteConfig {
        cases: env.cases.max(DEFAULT_CASES),
        ..env
    };
    for (property, check) in rejecting {
        let failure = check(&Cpu, &config).expect_err("the suite accepted a broken backend");
        assert_eq!(failure.backend, B::name(&Cpu));
        assert_eq!(&failure.property, property, "{failure}");
        assert!(
            !failure.input.is_empty() && !failure.reason.is_empty(),
            "{failure}"
        );
        let message = failure.to_string();
        assert!(message.contains(property), "{message}");
        eprintln!("rejected as expected: {message}");
    }
    for check in passing {
        if let Err(f) = check(&Cpu, &config) {
            panic!("a check that does not use the flawed operation failed: {f}");
        }
    }
}

#[test]
fn rejects_a_lincomb_that_drops_a_term() {
    type B = Flawed<DropsLastTerm>;
    assert_rejected::<B>(
        &[
            ("mix vs reference", check_mix::<B>),
            ("exact at vertices", check_vertices_exact::<B>),
            ("coefficients sum to 1", check_partition_of_unity::<B>),
            ("line = Bezier(1) = simplex(2)", check_shape_agreement::<B>),
            (
                "copy_gradients = scatter + dR + λw",
                check_copy_gradients::<B>,
            ),
            ("SWA = mean", check_swa::<B>),
        ],
        &[check_scatter::<B>],
    );
}

#[test]
fn rejects_a_wrong_sign_dot_product() {
    type B = Flawed<WrongSignDot>;
    assert_rejected::<B>(
        &[
            ("cos² value and gradient", check_cos2::<B>),
            (
                "cos² gradient = finite differences",
                check_cos2_finite_differences::<B>,
            ),
            (
                "copy_gradients = scatter + dR + λw",
                check_copy_gradients::<B>,
            ),
            ("copy cos² and L2", check_copy_distance::<B>),
        ],
        &[check_mix::<B>, check_scatter::<B>],
    );
}

#[test]
fn rejects_a_slightly_perturbed_dot_product() {
    type B = Flawed<PerturbedDot>;
    assert_rejected::<B>(
        &[
            ("cos² value and gradient", check_cos2::<B>),
            ("golden vectors", check_golden::<B>),
        ],
        &[check_mix::<B>, check_vertices_exact::<B>],
    );
}

#[test]
fn rejects_a_mix_that_is_inexact_at_vertices() {
    type B = Flawed<LerpInF32>;
    assert_rejected::<B>(
        &[("exact at vertices", check_vertices_exact::<B>)],
        &[check_scatter::<B>, check_swa::<B>],
    );
}

#[test]
fn rejects_a_fused_mix_with_reversed_coefficients() {
    type B = Flawed<ReversedLincombGram>;
    assert_rejected::<B>(
        &[("mix_with_cos2 = mix + cos²", check_mix_with_cos2::<B>)],
        &[check_mix::<B>, check_cos2::<B>, check_sgd_step::<B>],
    );
}

#[test]
fn rejects_a_fused_sgd_step_that_ignores_dampening() {
    type B = Flawed<UndampedSgdGroup>;
    assert_rejected::<B>(
        &[("sgd_step = G + λw, momentum, w − ηu", check_sgd_step::<B>)],
        &[
            check_mix::<B>,
            check_mix_with_cos2::<B>,
            check_copy_gradients::<B>,
        ],
    );
}

#[test]
fn rejects_a_fused_sgd_step_that_steps_copies_without_a_gradient() {
    type B = Flawed<StepsCopiesWithoutGradient>;
    assert_rejected::<B>(
        &[("sgd_step = G + λw, momentum, w − ηu", check_sgd_step::<B>)],
        &[check_mix_with_cos2::<B>, check_copy_gradients::<B>],
    );
}

#[test]
fn rejects_a_backend_that_writes_into_shared_inputs() {
    type B = ClobbersSharedInputs;
    assert_rejected::<B>(
        &[("shared inputs kept", check_shared_inputs_kept::<B>)],
        &[check_copy_distance::<B>, check_swa::<B>],
    );
}

#[test]
fn the_unflawed_decorator_passes() {
    struct NoFlaw;
    impl Flaw for NoFlaw {
        const NAME: &'static str = "no-flaw";
    }
    type B = Flawed<NoFlaw>;
    assert_rejected::<B>(
        &[],
        &[
            check_mix::<B>,
            check_vertices_exact::<B>,
            check_cos2::<B>,
            check_copy_gradients::<B>,
            check_shared_inputs_kept::<B>,
            check_golden::<B>,
            check_mix_with_cos2::<B>,
            check_sgd_step::<B>,
        ],
    );
}
