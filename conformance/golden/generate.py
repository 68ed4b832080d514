#!/usr/bin/env python3
"""Golden vectors for subspace-conformance, computed independently of the Rust code.

Run from the repository root:

    python3 conformance/golden/generate.py | rustfmt --edition 2024 > conformance/src/checks/golden/vectors.rs

Inputs are dyadic numbers (exact in f32) or the exact binary value of an f64 literal such as
0.3. Rational quantities (mixes, Bernstein coefficients, cos^2 and its gradient) are computed
exactly with fractions.Fraction and rounded once to the nearest f64; quantities that need exp
or log (softmax, ECE, NLL) use mpmath at 256 bits. Needs python3 with mpmath (sympy's
dependency) only.
"""

from fractions import Fraction as Q
from math import comb

import mpmath as mp

mp.mp.prec = 256


def f64(x):
    """Shortest decimal that round-trips the f64 nearest to x (exact Fraction or mpf)."""
    return repr(float(x))


def f32_literal(x):
    """An f32 input; asserts it is exact in f32 (dyadic with a short mantissa)."""
    q = Q(x)
    assert q.denominator & (q.denominator - 1) == 0 and abs(q.numerator) < 2**24, x
    return repr(float(x))


def bernstein(degree, a):
    return [comb(degree, i) * a**i * (1 - a) ** (degree - i) for i in range(degree + 1)]


def coefficients(shape, point):
    kind, n = shape
    if kind == "line":
        return [1 - Q(point[0]), Q(point[0])]
    if kind == "bezier":
        return bernstein(n, Q(point[0]))
    return [Q(t) for t in point]


def rust_shape(shape):
    kind, n = shape
    return {
        "line": "Shape::Line",
        "bezier": f"Shape::Bezier {{ degree: {n} }}",
        "simplex": f"Shape::Simplex {{ vertices: {n} }}",
    }[kind]


def slice_of(values, fmt):
    return "&[" + ", ".join(fmt(v) for v in values) + "]"


MIX_CASES = [
    # (shape, point, copies)
    (("bezier", 2), [0.3], [[1.0, -2.5, 0.375, 8.0, 0.0], [0.5, 4.0, -1.25, 3.0, -7.5], [-3.0, 0.25, 2.0, 1.5, 6.0]]),
    (("bezier", 3), [0.7], [[1.0, 2.0], [-1.0, 0.5], [4.0, -3.0], [0.125, 16.0]]),
    (("line", 1), [0.75], [[2.0, -1.0, 0.5], [6.0, 3.0, -0.5]]),
    (("simplex", 3), [0.25, 0.5, 0.25], [[4.0, -8.0], [2.0, 1.0], [-4.0, 0.5]]),
]

COEFFICIENT_CASES = [(("bezier", d), a) for d in (2, 3) for a in (0.3, 0.5, 0.9, 1.0 / 3.0)]

COS2_CASES = [
    # (a, b, beta): two vectors, the regularizer weight; eps is core's default 1e-12.
    ([1.0, 2.0, -0.5, 3.0], [0.5, -1.0, 4.0, 2.0], 1.0),
    ([1.0, 1.0, 1.0], [1.0, 1.0, 0.875], 2.0),
    ([0.25, -3.0], [1.5, 0.75], 0.5),
]
EPS = Q(1e-12)

# Six examples over three classes; labels. Confidences stay away from bin edges (asserted).
LOGITS = [
    [2.0, 0.5, -1.0],
    [0.0, 0.0, 0.0],
    [-1.0, 3.0, 0.25],
    [1.5, 1.25, -2.0],
    [0.0, 4.0, 3.5],
    [-0.5, -0.75, 2.0],
]
LABELS = [0, 2, 1, 1, 2, 2]
BINS = 20


def mix_section():
    out = ["/// Mixes `Σ_i c_i(p) w_i` (exact rationals, rounded once to f64).",
           "pub(crate) const MIXES: &[MixCase] = &["]
    for shape, point, copies in MIX_CASES:
        c = coefficients(shape, point)
        expected = [sum(ci * Q(w[k]) for ci, w in zip(c, copies)) for k in range(len(copies[0]))]
        out.append("    MixCase {")
        out.append(f"        shape: {rust_shape(shape)},")
        out.append(f"        point: {slice_of(point, f64)},")
        out.append("        copies: &[" + ", ".join(slice_of(w, f32_literal) for w in copies) + "],")
        out.append(f"        expected: {slice_of(expected, f64)},")
        out.append("    },")
    out.append("];")
    return out


def coefficient_section():
    out = ["/// Bernstein coefficients `C(d,i) a^i (1-a)^(d-i)` (exact rationals of the f64 `a`).",
           "pub(crate) const COEFFICIENTS: &[CoefficientCase] = &["]
    for shape, a in COEFFICIENT_CASES:
        c = coefficients(shape, [a])
        out.append(f"    CoefficientCase {{ shape: {rust_shape(shape)}, a: {f64(a)}, expected: {slice_of(c, f64)} }},")
    out.append("];")
    return out


def cos2_section():
    out = ["/// `R = β s²/(AB + ε)` and its gradients `β (2s/D)(b − (sB/D) a)`, `β (2s/D)(a − (sA/D) b)`",
           "/// with `ε = 1e-12` (exact rationals).",
           "pub(crate) const COS2: &[Cos2Case] = &["]
    for a, b, beta in COS2_CASES:
        qa, qb, qbeta = [Q(x) for x in a], [Q(x) for x in b], Q(beta)
        s = sum(x * y for x, y in zip(qa, qb))
        sa = sum(x * x for x in qa)
        sb = sum(y * y for y in qb)
        d = sa * sb + EPS
        k = qbeta * 2 * s / d
        grad_a = [k * (y - s * sb / d * x) for x, y in zip(qa, qb)]
        grad_b = [k * (x - s * sa / d * y) for x, y in zip(qa, qb)]
        out.append("    Cos2Case {")
        out.append(f"        a: {slice_of(a, f32_literal)},")
        out.append(f"        b: {slice_of(b, f32_literal)},")
        out.append(f"        beta: {f64(beta)},")
        out.append(f"        value: {f64(qbeta * s * s / d)},")
        out.append(f"        grad_a: {slice_of(grad_a, f64)},")
        out.append(f"        grad_b: {slice_of(grad_b, f64)},")
        out.append("    },")
    out.append("];")
    return out


def metrics_section():
    confs, correct, nll = [], [], mp.mpf(0)
    for row, y in zip(LOGITS, LABELS):
        z = [mp.mpf(x) for x in row]
        total = sum(mp.exp(v) for v in z)
        p = [mp.exp(v) / total for v in z]
        pred = max(range(len(z)), key=lambda k: (z[k], -k))  # first maximum
        confs.append(p[pred])
        correct.append(1 if pred == y else 0)
        nll += -mp.log(p[y])
    gaps = [mp.mpf(0)] * BINS
    for conf, ok in zip(confs, correct):
        scaled = conf * BINS
        assert abs(scaled - mp.nint(scaled)) > mp.mpf("1e-6") or scaled < 1, "confidence on a bin edge"
        b = min(int(mp.floor(scaled)), BINS - 1)
        gaps[b] += ok - conf
    ece = sum(abs(g) for g in gaps) / len(LOGITS)
    rows = ", ".join(slice_of(r, f32_literal)[1:] for r in LOGITS)
    return [
        "/// A batch of six examples over three classes (softmax, ECE over 20 bins, NLL in mpmath).",
        "pub(crate) const BATCH: MetricsCase = MetricsCase {",
        f"    logits: &[{rows}],",
        f"    labels: &{LABELS},",
        f"    ece_20_bins: {f64(ece)},",
        f"    nll: {f64(nll / len(LOGITS))},",
        f"    accuracy: {f64(Q(sum(correct), len(LOGITS)))},",
        "};",
    ]


def main():
    lines = [
        "//! Golden vectors, generated; do not edit by hand.",
        "//!",
        "//! Produced from the repository root by",
        "//! `python3 conformance/golden/generate.py | rustfmt --edition 2024 > conformance/src/checks/golden/vectors.rs`:",
        "//! exact rational arithmetic (Python's `fractions`) for mixes,",
        "//! Bernstein coefficients and cos², mpmath at 256 bits for softmax, ECE and NLL; every value",
        "//! rounded once to the nearest f64. Inputs are exact in f32.",
        "",
        "use subspace_core::Shape;",
        "",
        "use super::{CoefficientCase, Cos2Case, MetricsCase, MixCase};",
        "",
    ]
    for section in (mix_section, coefficient_section, cos2_section, metrics_section):
        lines += section() + [""]
    print("\n".join(lines).rstrip())


if __name__ == "__main__":
    main()
