//! Training the MLP through luminal: it is a reference [`Network`], so the reference's
//! [`train`](subspace_reference::mlp::train) and
//! [`train_step`](subspace_reference::mlp::train_step) run core's plugin contract with luminal
//! doing every tensor operation.

use subspace_core::Result;
use subspace_reference::mlp::{Batch, Network};

use super::LuminalMlp;
use crate::backend::Luminal;
use crate::target::Target;
use crate::tensor::Tensor;

/// Step 3 of the reference's `train_step` on luminal; with the copies on luminal, every step
/// of the loop runs there:
///
/// 1. `points = schedule.points(t, layers)`;
/// 2. `w = region.mix(&points)` — luminal lincomb graphs;
/// 3. [`LuminalMlp::loss_and_grads`] at `w` — the compiled forward + analytic backward graph;
/// 4. if `β > 0` and the shape has a pair: `R = cos2_regularizer(region, schedule.pair(t))` —
///    luminal gram graphs;
/// 5. core's fused `sgd_step` with `η = lr.lr(t)`: every copy's
///    `G_i = c_i(p) g + dR/dw_i + λ w_i`, its velocity (momentum with PyTorch semantics) and its
///    update, through the provided `Backend::sgd_group` — luminal lincomb graphs.
impl<T: Target> Network<Luminal<T>> for LuminalMlp<T> {
    fn loss_and_grads_at(&self, w: &[Tensor], batch: &Batch) -> Result<(f64, Vec<Tensor>)> {
        self.loss_and_grads(w, batch)
            .map(|out| (out.loss, out.grads))
    }
}
