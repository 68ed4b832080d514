//! How far a backend's numbers may be from the oracle's: a named [`Tolerance`] per kind of
//! computation, instead of magic epsilons.

use std::fmt;

/// A relative and an absolute tolerance.
///
/// A value `x` of a backend passes against the oracle's `y` when
///
/// ```text
/// |x - y| <= absolute + relative * max(|y|, magnitude)
/// ```
///
/// With `magnitude = 0` this is the classic `|x - y| <= absolute + relative |y|`. A check passes
/// a non-zero `magnitude` where the result may cancel: rounding errors scale with the size of
/// the terms, not of their sum. For a linear combination `Σ c_k x_k` the magnitude is
/// `Σ |c_k x_k|`; for a dot product it is `Σ |a_k b_k|`; each check documents its own.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    /// Allowed error per unit of `max(|expected|, magnitude)`.
    pub relative: f64,
    /// Allowed error regardless of size (covers underflow near zero).
    pub absolute: f64,
}

impl Tolerance {
    /// Bit-exact results (vertices of a region, determinism). Signed zeros compare equal:
    /// IEEE sums `+0 + -0` to `+0`, so a vertex holding `-0.0` may come back as `+0.0`.
    pub const EXACT: Self = Self {
        relative: 0.0,
        absolute: 0.0,
    };

    /// `f32` element-wise work: a linear combination of a few tensors (mix, scatter, SWA/EMA
    /// updates, weight decay). Computing `Σ c_k x_k` with `k <= 9` terms in `f32` costs at most
    /// about `(k + 2) u Σ |c_k x_k|` with `u = 2^-24 ≈ 6e-8`, under `7e-7`; `1e-5` leaves a
    /// margin of ten for a few chained updates. The absolute part only absorbs underflow.
    pub const F32: Self = Self {
        relative: 1e-5,
        absolute: 1e-30,
    };

    /// `f32` reductions over up to `1e5` elements (dot products, squared norms) and everything
    /// derived from them (cos² value, coefficients of its gradient, copy distances). A blocked
    /// or pairwise `f32` sum of `n` products is off by at most about `(log2 n + block) u Σ|a_k
    /// b_k|`, about `2e-5` for blocks of 256; the cos² gradient amplifies that by a small
    /// constant (at most 14, see `checks::cos2`). `1e-4` is the bound a correct `f32` backend
    /// meets; sequential `f32` sums of `1e5` terms usually do too, but are not promised to.
    pub const F32_REDUCTION: Self = Self {
        relative: 1e-4,
        absolute: 1e-30,
    };

    /// Host computations in `f64` (coefficients, samplers' arithmetic, metrics): a few dozen
    /// roundings of `2^-53`.
    pub const F64: Self = Self {
        relative: 1e-12,
        absolute: 1e-300,
    };

    /// Central finite differences of an `f64` function, step `h` relative to the input's size
    /// `1e-4`: truncation error `O(h²)` about `1e-8` relative, plus `f64` cancellation.
    pub const FINITE_DIFFERENCE: Self = Self {
        relative: 1e-5,
        absolute: 1e-12,
    };

    /// The error allowed for an expected value `expected` whose terms have size `magnitude`.
    pub fn allowed(self, expected: f64, magnitude: f64) -> f64 {
        self.absolute + self.relative * expected.abs().max(magnitude)
    }

    /// Compares `actual` with `expected` whose terms have size `magnitude` (see [`Tolerance`]).
    pub fn compare(self, actual: f64, expected: f64, magnitude: f64) -> Discrepancy {
        let error = if actual == expected {
            0.0
        } else {
            (actual - expected).abs()
        };
        Discrepancy {
            error: if error.is_nan() { f64::INFINITY } else { error },
            allowed: self.allowed(expected, magnitude),
        }
    }
}

/// One comparison: the error seen and the error the tolerance allowed there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Discrepancy {
    /// `|actual - expected|` (infinite when either is NaN and the other is not).
    pub error: f64,
    /// What the tolerance allowed for this comparison.
    pub allowed: f64,
}

impl Discrepancy {
    /// No error, nothing allowed: the neutral start of a running worst.
    pub const NONE: Self = Self {
        error: 0.0,
        allowed: 0.0,
    };

    /// Whether the error is within the allowance.
    pub fn passes(self) -> bool {
        self.error <= self.allowed
    }

    /// `error / allowed`: at most 1 when passing (0 for an exact match, infinite for any error
    /// where none is allowed).
    pub fn ratio(self) -> f64 {
        if self.error == 0.0 {
            0.0
        } else if self.allowed == 0.0 {
            f64::INFINITY
        } else {
            self.error / self.allowed
        }
    }

    /// The worse of two comparisons, by [`ratio`](Self::ratio), then by raw error.
    pub fn worst(self, other: Self) -> Self {
        match self.ratio().total_cmp(&other.ratio()) {
            std::cmp::Ordering::Less => other,
            std::cmp::Ordering::Greater => self,
            std::cmp::Ordering::Equal if other.error > self.error => other,
            std::cmp::Ordering::Equal => self,
        }
    }
}

impl fmt::Display for Discrepancy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error {:.3e} (allowed {:.3e})", self.error, self.allowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_uses_the_larger_of_value_and_magnitude() {
        let t = Tolerance {
            relative: 0.1,
            absolute: 0.0,
        };
        assert!(t.compare(1.05, 1.0, 0.0).passes());
        assert!(!t.compare(1.2, 1.0, 0.0).passes());
        assert!(t.compare(0.5, 0.0, 10.0).passes());
        assert!(!t.compare(f64::NAN, 0.0, 10.0).passes());
        assert!(Tolerance::EXACT.compare(0.0, -0.0, 0.0).passes());
    }

    #[test]
    fn worst_prefers_the_larger_ratio() {
        let a = Discrepancy {
            error: 1.0,
            allowed: 10.0,
        };
        let b = Discrepancy {
            error: 0.5,
            allowed: 1.0,
        };
        assert_eq!(a.worst(b), b);
        assert_eq!(b.worst(a), b);
        assert_eq!(Discrepancy::NONE.worst(a), a);
    }
}
