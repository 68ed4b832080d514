//! The MLP's forward pass and its analytic backward pass as luminal graphs (formulas in the
//! [`mlp`](super) module docs).

use luminal::prelude::{Axes2, Axis, Dyn, GraphTensor, Matmul, R0};

use crate::graph::GraphBuilder;

/// Batch rows.
type B = Dyn<'b'>;
/// Input features.
type I = Dyn<'i'>;
/// Hidden units.
type H = Dyn<'h'>;
/// Classes.
type C = Dyn<'c'>;

/// The dynamic dimensions of a graph run: rows, inputs, hidden units, classes.
pub(crate) fn dyn_dims(
    rows: usize,
    input: usize,
    hidden: usize,
    classes: usize,
) -> [(char, usize); 4] {
    [('b', rows), ('i', input), ('h', hidden), ('c', classes)]
}

/// The parameter inputs, created in the order of the reference's `PARAMS`.
struct Params {
    w1: GraphTensor<(I, H)>,
    b1: GraphTensor<(H,)>,
    w2: GraphTensor<(H, C)>,
    b2: GraphTensor<(C,)>,
}

impl Params {
    fn inputs(g: &mut GraphBuilder<'_>) -> Self {
        Self {
            w1: g.input("fc1.weight"),
            b1: g.input("fc1.bias"),
            w2: g.input("fc2.weight"),
            b2: g.input("fc2.bias"),
        }
    }
}

/// The forward pass's values that the backward pass reuses.
struct Forward {
    /// `x W1 + b1`.
    z1: GraphTensor<(B, H)>,
    /// `relu(z1)`.
    a: GraphTensor<(B, H)>,
    /// The logits `a W2 + b2`.
    z: GraphTensor<(B, C)>,
}

fn forward(x: GraphTensor<(B, I)>, p: &Params) -> Forward {
    let z1 = x.matmul(p.w1) + p.b1.expand::<(B, H), Axis<0>>();
    let a = z1.relu();
    let z = a.matmul(p.w2) + p.b2.expand::<(B, C), Axis<0>>();
    Forward { z1, a, z }
}

/// Inputs `x`, then the four parameters; output the logits `z` `[b, c]`.
pub(crate) fn build_logits(g: &mut GraphBuilder<'_>) {
    let x = g.input::<(B, I)>("x");
    let params = Params::inputs(g);
    g.output(forward(x, &params).z);
}

/// Inputs `x`, one-hot `y`, then the four parameters; outputs the loss `L` and `dW1`, `db1`,
/// `dW2`, `db2`.
pub(crate) fn build_loss_and_grads(g: &mut GraphBuilder<'_>) {
    let x = g.input::<(B, I)>("x");
    let y = g.input::<(B, C)>("y");
    let p = Params::inputs(g);
    let Forward { z1, a, z } = forward(x, &p);

    let m = z.max_reduce::<(B,), Axis<1>>();
    let shifted = z - m.expand::<(B, C), Axis<1>>();
    let e = shifted.exp();
    let s = e.sum_reduce::<(B,), Axis<1>>();
    let log_p = shifted - s.ln().expand::<(B, C), Axis<1>>();
    let nll = -(y * log_p).sum_reduce::<(B,), Axis<1>>();
    g.output(nll.mean_reduce::<R0, Axis<0>>());

    let inv_rows = g.constant_expr('b').recip();
    let dz = (e / s.expand::<(B, C), Axis<1>>() - y) * inv_rows.expand::<(B, C), Axes2<0, 1>>();
    let dw2 = a.permute::<(H, B), Axes2<1, 0>>().matmul(dz);
    let db2 = dz.sum_reduce::<(C,), Axis<0>>();
    let dh = dz.matmul(p.w2.permute::<(C, H), Axes2<1, 0>>());
    let zero = g.constant(0.0).expand::<(B, H), Axes2<0, 1>>();
    let dz1 = dh * zero.less_than(z1);
    let dw1 = x.permute::<(I, B), Axes2<1, 0>>().matmul(dz1);
    let db1 = dz1.sum_reduce::<(H,), Axis<0>>();
    for grad in [
        dw1.no_shape(),
        db1.no_shape(),
        dw2.no_shape(),
        db2.no_shape(),
    ] {
        g.output(grad);
    }
}
