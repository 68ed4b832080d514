//! Golden vectors, generated; do not edit by hand.
//!
//! Produced from the repository root by
//! `python3 conformance/golden/generate.py | rustfmt --edition 2024 > conformance/src/checks/golden/vectors.rs`:
//! exact rational arithmetic (Python's `fractions`) for mixes,
//! Bernstein coefficients and cos², mpmath at 256 bits for softmax, ECE and NLL; every value
//! rounded once to the nearest f64. Inputs are exact in f32.

use subspace_core::Shape;

use super::{CoefficientCase, Cos2Case, MetricsCase, MixCase};

/// Mixes `Σ_i c_i(p) w_i` (exact rationals, rounded once to f64).
pub(crate) const MIXES: &[MixCase] = &[
    MixCase {
        shape: Shape::Bezier { degree: 2 },
        point: &[0.3],
        copies: &[
            &[1.0, -2.5, 0.375, 8.0, 0.0],
            &[0.5, 4.0, -1.25, 3.0, -7.5],
            &[-3.0, 0.25, 2.0, 1.5, 6.0],
        ],
        expected: &[
            0.43000000000000005,
            0.4774999999999999,
            -0.16125,
            5.315,
            -2.61,
        ],
    },
    MixCase {
        shape: Shape::Bezier { degree: 3 },
        point: &[0.7],
        copies: &[&[1.0, 2.0], &[-1.0, 0.5], &[4.0, -3.0], &[0.125, 16.0]],
        expected: &[1.644875, 4.313499999999999],
    },
    MixCase {
        shape: Shape::Line,
        point: &[0.75],
        copies: &[&[2.0, -1.0, 0.5], &[6.0, 3.0, -0.5]],
        expected: &[5.0, 2.0, -0.25],
    },
    MixCase {
        shape: Shape::Simplex { vertices: 3 },
        point: &[0.25, 0.5, 0.25],
        copies: &[&[4.0, -8.0], &[2.0, 1.0], &[-4.0, 0.5]],
        expected: &[1.0, -1.375],
    },
];

/// Bernstein coefficients `C(d,i) a^i (1-a)^(d-i)` (exact rationals of the f64 `a`).
pub(crate) const COEFFICIENTS: &[CoefficientCase] = &[
    CoefficientCase {
        shape: Shape::Bezier { degree: 2 },
        a: 0.3,
        expected: &[0.49, 0.42, 0.09],
    },
    CoefficientCase {
        shape: Shape::Bezier { degree: 2 },
        a: 0.5,
        expected: &[0.25, 0.5, 0.25],
    },
    CoefficientCase {
        shape: Shape::Bezier { degree: 2 },
        a: 0.9,
        expected: &[0.009999999999999995, 0.17999999999999997, 0.81],
    },
    CoefficientCase {
        shape: Shape::Bezier { degree: 2 },
        a: 0.3333333333333333,
        expected: &[0.4444444444444445, 0.4444444444444444, 0.1111111111111111],
    },
    CoefficientCase {
        shape: Shape::Bezier { degree: 3 },
        a: 0.3,
        expected: &[0.343, 0.441, 0.189, 0.026999999999999996],
    },
    CoefficientCase {
        shape: Shape::Bezier { degree: 3 },
        a: 0.5,
        expected: &[0.125, 0.375, 0.375, 0.125],
    },
    CoefficientCase {
        shape: Shape::Bezier { degree: 3 },
        a: 0.9,
        expected: &[
            0.0009999999999999994,
            0.02699999999999999,
            0.24299999999999997,
            0.7290000000000001,
        ],
    },
    CoefficientCase {
        shape: Shape::Bezier { degree: 3 },
        a: 0.3333333333333333,
        expected: &[
            0.29629629629629634,
            0.4444444444444444,
            0.2222222222222222,
            0.03703703703703703,
        ],
    },
];

/// `R = β s²/(AB + ε)` and its gradients `β (2s/D)(b − (sB/D) a)`, `β (2s/D)(a − (sA/D) b)`
/// with `ε = 1e-12` (exact rationals).
pub(crate) const COS2: &[Cos2Case] = &[
    Cos2Case {
        a: &[1.0, 2.0, -0.5, 3.0],
        b: &[0.5, -1.0, 4.0, 2.0],
        beta: 1.0,
        value: 0.02063983488132088,
        grad_a: &[
            0.00535911502181666,
            -0.02230550576648009,
            0.06749588108558267,
            0.02433327901797833,
        ],
        grad_b: &[
            0.015540581557700432,
            0.03496630850482596,
            -0.01602622473137854,
            0.04565045832574502,
        ],
    },
    Cos2Case {
        a: &[1.0, 1.0, 1.0],
        b: &[1.0, 1.0, 0.875],
        beta: 2.0,
        value: 1.9924670433142608,
        grad_a: &[
            0.05775266792231259,
            0.05775266792231259,
            -0.11550533584414488,
        ],
        grad_b: &[
            -0.05481609158695412,
            -0.05481609158695412,
            0.12529392362787262,
        ],
    },
    Cos2Case {
        a: &[0.25, -3.0],
        b: &[1.5, 0.75],
        beta: 0.5,
        value: 0.0689655172413766,
        grad_a: &[-0.11414982164089905, -0.009512485136743392],
        grad_b: &[-0.09195402298849925, 0.18390804597700572],
    },
];

/// A batch of six examples over three classes (softmax, ECE over 20 bins, NLL in mpmath).
pub(crate) const BATCH: MetricsCase = MetricsCase {
    logits: &[
        [2.0, 0.5, -1.0],
        [0.0, 0.0, 0.0],
        [-1.0, 3.0, 0.25],
        [1.5, 1.25, -2.0],
        [0.0, 4.0, 3.5],
        [-0.5, -0.75, 2.0],
    ],
    labels: &[0, 2, 1, 1, 2, 2],
    ece_20_bins: 0.31989570885841884,
    nll: 0.5639058408582569,
    accuracy: 0.5,
};
