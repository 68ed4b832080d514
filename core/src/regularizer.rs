//! The whole-network cos² regularizer that keeps copies apart (Wortsman et al. 2021, §3;
//! SPEC.md §4).
//!
//! For a pair of copies `(i, j)`, with `a = w_i` and `b = w_j` the concatenation of every
//! regularized tensor of the network, `s = <a, b>`, `A = |a|²`, `B = |b|²` and
//! `D = A·B + ε`:
//!
//! ```text
//! R     = β s² / D
//! dR/da = β (2s/D) (b − (s·B/D) a)
//! dR/db = β (2s/D) (a − (s·A/D) b)
//! ```
//!
//! With `ε = 0` this is `β cos²(a, b)` and the gradient of SPEC.md §4. The `ε` (default
//! [`DEFAULT_EPS`]) keeps a zero-norm copy from producing NaN: then `s = 0`, so `R = 0` and both
//! gradients vanish. The gradient above is the exact gradient of the `ε`-regularized `R`.

use rand::{Rng, RngExt};

use crate::backend::{Backend, Gram, scalars_to_host};
use crate::error::{Error, Result, finite, non_negative};
use crate::region::{Group, Region};

/// Default `ε` added to `|a|²|b|²` in the denominator.
pub const DEFAULT_EPS: f64 = 1e-12;

/// Two distinct copies `(i, j)` of a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pair {
    i: usize,
    j: usize,
}

impl Pair {
    /// Validates a pair of distinct copy indices below `copies`.
    pub fn new(i: usize, j: usize, copies: usize) -> Result<Self> {
        if i == j || i >= copies || j >= copies {
            return Err(Error::InvalidPair { i, j, copies });
        }
        Ok(Self { i, j })
    }

    /// A uniformly random pair of distinct copies, `i < j`, or `None` when `copies < 2`.
    ///
    /// A line always gives `(0, 1)`; a curve's bends are in the pool.
    pub fn sample(copies: usize, rng: &mut impl Rng) -> Option<Self> {
        if copies < 2 {
            return None;
        }
        let i = rng.random_range(0..copies);
        let j = (i + rng.random_range(1..copies)) % copies;
        Some(Self {
            i: i.min(j),
            j: i.max(j),
        })
    }

    /// The first copy.
    pub fn i(self) -> usize {
        self.i
    }

    /// The second copy.
    pub fn j(self) -> usize {
        self.j
    }
}

/// Settings of the cos² regularizer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cos2Config {
    /// The weight `β` (default 1; 0 turns the regularizer off).
    pub beta: f64,
    /// The `ε` of the denominator (default [`DEFAULT_EPS`]).
    pub eps: f64,
}

impl Default for Cos2Config {
    fn default() -> Self {
        Self {
            beta: 1.0,
            eps: DEFAULT_EPS,
        }
    }
}

impl Cos2Config {
    /// Validates `β ≥ 0` and `ε ≥ 0`, both finite.
    pub fn new(beta: f64, eps: f64) -> Result<Self> {
        Self { beta, eps }.validate()
    }

    /// The configuration if `β ≥ 0` and `ε ≥ 0`, both finite (for values built by hand; every
    /// function that takes a configuration checks it).
    pub fn validate(self) -> Result<Self> {
        non_negative("beta", self.beta)?;
        non_negative("eps", self.eps)?;
        Ok(self)
    }
}

/// The regularizer evaluated for one pair, with the coefficients of its gradient.
///
/// The gradient with respect to copy `i` is `self_i · w_i + other_i · w_j`, and with respect to
/// copy `j` it is `self_j · w_j + other_j · w_i`, for every regularized group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cos2 {
    /// The pair the value was computed for.
    pub pair: Pair,
    /// `s² / D`: the squared cosine similarity of the two copies.
    pub cos2: f64,
    /// `R = β · cos2`.
    pub value: f64,
    /// `<a, b>` over the whole network.
    pub dot: f64,
    /// `|a|²`.
    pub sq_norm_i: f64,
    /// `|b|²`.
    pub sq_norm_j: f64,
    coef_self_i: f64,
    coef_other_i: f64,
    coef_self_j: f64,
    coef_other_j: f64,
}

impl Cos2 {
    /// From the whole-network sums `s`, `A`, `B`, which [`cos2_regularizer`] has checked to be
    /// finite, with a validated `config` (NaN in, NaN out).
    pub fn from_sums(pair: Pair, s: f64, sq_a: f64, sq_b: f64, config: Cos2Config) -> Self {
        let d = sq_a * sq_b + config.eps;
        let cos2 = if d > 0.0 { s * s / d } else { 0.0 };
        let k = if d > 0.0 {
            config.beta * 2.0 * s / d
        } else {
            0.0
        };
        let (self_i, self_j) = if d > 0.0 {
            (-k * s * sq_b / d, -k * s * sq_a / d)
        } else {
            (0.0, 0.0)
        };
        Self {
            pair,
            cos2,
            value: config.beta * cos2,
            dot: s,
            sq_norm_i: sq_a,
            sq_norm_j: sq_b,
            coef_self_i: self_i,
            coef_other_i: k,
            coef_self_j: self_j,
            coef_other_j: k,
        }
    }

    /// For copy `copy`: `Some((coefficient on w_copy, other copy, coefficient on it))` if the
    /// copy is in the pair, else `None`.
    pub fn grad_terms(&self, copy: usize) -> Option<(f64, usize, f64)> {
        if copy == self.pair.i {
            Some((self.coef_self_i, self.pair.j, self.coef_other_i))
        } else if copy == self.pair.j {
            Some((self.coef_self_j, self.pair.i, self.coef_other_j))
        } else {
            None
        }
    }

    /// `dR/dw_copy` of one group as the terms of a linear combination of its copies,
    /// `[(c_self, w_copy), (c_other, w_other)]` (to pass to [`Backend::lincomb`], alone or
    /// after other terms); `None` if the group is not regularized, the copy is not in the
    /// pair, or the group lacks one of the two copies.
    pub fn grad_lincomb_terms<T: Clone>(
        &self,
        group: &Group<T>,
        copy: usize,
    ) -> Option<[(f64, T); 2]> {
        if !group.regularized {
            return None;
        }
        let (c_self, other, c_other) = self.grad_terms(copy)?;
        Some([
            (c_self, group.copies.get(copy)?.clone()),
            (c_other, group.copies.get(other)?.clone()),
        ])
    }
}

/// Evaluates `R` over every regularized group of `region` for `pair`, with one transfer.
///
/// Errors if `config` is invalid ([`Cos2Config::validate`]), the pair is out of range for the
/// region's shape, no group is regularized, or the backend fails. Non-finite sums (a NaN in a copy) are reported as [`Error::InvalidNumber`].
pub fn cos2_regularizer<B: Backend>(
    region: &Region<B>,
    pair: Pair,
    config: Cos2Config,
) -> Result<Cos2> {
    let config = config.validate()?;
    let [s, a, b] = gram_sums(region, pair, "cos2_regularizer", |g| g.regularized)?;
    Ok(Cos2::from_sums(pair, s, a, b, config))
}

/// `[<a, b>, |a|², |b|²]` summed over the groups `include` selects: the Gram entries of the
/// concatenated copies `a = w_i`, `b = w_j`, read back in one transfer.
pub(crate) fn gram_sums<B: Backend>(
    region: &Region<B>,
    pair: Pair,
    operation: &'static str,
    include: impl Fn(&Group<B::Tensor>) -> bool,
) -> Result<[f64; 3]> {
    let pair = Pair::new(pair.i, pair.j, region.shape().copies())?;
    let grams = region
        .groups()
        .iter()
        .filter(|g| include(g))
        .map(|g| B::gram(g.copies[pair.i].clone(), g.copies[pair.j].clone()))
        .collect();
    sum_grams::<B>(grams, operation)
}

/// `[<a, b>, |a|², |b|²]` summed over per-group Gram entries, read back in one transfer.
///
/// Errors if there are none, the backend fails, or a sum is not finite.
pub(crate) fn sum_grams<B: Backend>(
    grams: Vec<Gram<B::Scalar>>,
    operation: &'static str,
) -> Result<[f64; 3]> {
    let scalars: Vec<B::Scalar> = grams.into_iter().flat_map(|g| [g.ab, g.aa, g.bb]).collect();
    if scalars.is_empty() {
        return Err(Error::Empty {
            operation,
            what: "groups to compare",
        });
    }
    let host = scalars_to_host::<B>(scalars, operation)?;
    let sums = host.chunks_exact(3).fold([0.0; 3], |acc, x| {
        [acc[0] + x[0], acc[1] + x[1], acc[2] + x[2]]
    });
    for (what, v) in ["<w_i, w_j>", "|w_i|^2", "|w_j|^2"].into_iter().zip(sums) {
        finite(what, v)?;
    }
    Ok(sums)
}

/// The regularizer's gradient tensors `(dR/dw_i, dR/dw_j)` for each group; `None` for groups
/// it does not cover.
///
/// Errors with [`Error::InvalidPair`] if `reg` was computed for a pair outside this region.
#[allow(clippy::type_complexity)]
pub fn cos2_grads<B: Backend>(
    region: &Region<B>,
    reg: &Cos2,
) -> Result<Vec<Option<(B::Tensor, B::Tensor)>>> {
    Pair::new(reg.pair.i, reg.pair.j, region.shape().copies())?;
    let grad = |g: &Group<B::Tensor>, copy: usize| {
        reg.grad_lincomb_terms(g, copy)
            .map(|terms| B::lincomb(terms.to_vec()))
    };
    Ok(region
        .groups()
        .iter()
        .map(|g| grad(g, reg.pair.i).zip(grad(g, reg.pair.j)))
        .collect())
}
