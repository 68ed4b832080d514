//! Reading a model's parameter groups as backend tensors and writing values back into a model:
//! the one path by which copies enter the subspace math and points, averages and exports leave
//! it.

use burn::module::{Module, Param, ParamId};
use burn::tensor::Tensor;

use crate::backend::BurnTensor;
use crate::layout::Layout;
use crate::walk::{MapFloat, MapWalker, ParamSite, VisitFloat, Walker};

/// The group tensors of `model` in `layout` order, outside autodiff (handles, no copies).
///
/// `model` must have `layout`'s groups; callers check with `Layout::check_same`.
pub(crate) fn read_params<M: Module>(model: &M, layout: &Layout) -> Vec<BurnTensor> {
    let read = Walker::run(
        model,
        Read {
            layout,
            values: vec![None; layout.groups().len()],
        },
    );
    read.values
        .into_iter()
        .map(|v| v.unwrap_or_else(|| unreachable!("the model was checked against the layout")))
        .collect()
}

/// `model` with its group parameters replaced by `values` (in `layout` order).
///
/// Each new parameter gets a fresh id and the old one's autodiff association and gradient
/// requirement, so it is a leaf of the next forward pass. Running statistics are untouched (and
/// still shared with any clone of `model`).
pub(crate) fn replace_params<M: Module>(model: M, layout: &Layout, values: Vec<BurnTensor>) -> M {
    swap(
        model,
        layout,
        values.into_iter().map(Some).collect(),
        Ids::Fresh,
    )
    .0
}

/// [`replace_params`], except that on an autodiff device the new parameter of group `g`
/// requires a gradient if and only if `require_grad[g]`.
pub(crate) fn replace_params_requiring<M: Module>(
    model: M,
    layout: &Layout,
    values: Vec<BurnTensor>,
    require_grad: Vec<bool>,
) -> M {
    let values = values.into_iter().map(Some).collect();
    swap(model, layout, values, Ids::FreshRequiring(require_grad)).0
}

/// `model` with its group parameters moved out (in `layout` order, outside autodiff), each
/// left holding an empty tensor until [`put_params`] puts values back: a moved-out tensor is
/// shared with no parameter, so a backend may update it in place.
pub(crate) fn take_params<M: Module>(model: M, layout: &Layout) -> (M, Vec<BurnTensor>) {
    swap(model, layout, vec![None; layout.groups().len()], Ids::Kept)
}

/// `model` (from [`take_params`]) holding `values` again, with its parameters' ids, autodiff
/// association and gradient requirement.
pub(crate) fn put_params<M: Module>(model: M, layout: &Layout, values: Vec<BurnTensor>) -> M {
    swap(
        model,
        layout,
        values.into_iter().map(Some).collect(),
        Ids::Kept,
    )
    .0
}

/// The ids and gradient requirements of swapped parameters.
enum Ids {
    /// The old parameters' ids and settings.
    Kept,
    /// New ids, the old settings.
    Fresh,
    /// New ids; on an autodiff device, group `g` requires a gradient iff `self.0[g]`.
    FreshRequiring(Vec<bool>),
}

/// Swaps every group parameter's tensor for `values[g]` (an empty tensor for `None`) and
/// returns the old tensors.
fn swap<M: Module>(
    model: M,
    layout: &Layout,
    values: Vec<Option<BurnTensor>>,
    ids: Ids,
) -> (M, Vec<BurnTensor>) {
    let swap = Swap {
        layout,
        old: vec![None; values.len()],
        values,
        ids,
    };
    let (model, swap) = MapWalker::run(model, swap);
    let old = swap
        .old
        .into_iter()
        .map(|v| v.unwrap_or_else(|| unreachable!("the model was checked against the layout")))
        .collect();
    (model, old)
}

/// A standalone copy of `template` holding `values`: fresh parameter ids, its own running
/// statistics, and the template's mode (on an autodiff device with the template's gradient and
/// training-flag settings if the template is, else plain).
pub(crate) fn standalone_with<M: Module>(
    template: &M,
    layout: &Layout,
    values: Vec<BurnTensor>,
) -> M {
    let model = replace_params(template.valid(), layout, values);
    in_mode_of(template, model)
}

/// `model` (from `valid()` of `template`) back in `template`'s mode: `train()` if `template`
/// is on an autodiff device, so the result has its gradient and training-flag settings, else
/// as it is (plain). `valid` copies running statistics into fresh state and keeps the configured
/// settings, which `train` restores.
pub(crate) fn in_mode_of<M: Module>(template: &M, model: M) -> M {
    if on_autodiff(template) {
        model.train()
    } else {
        model
    }
}

/// Whether the model's parameters live on an autodiff device (a model being trained).
fn on_autodiff<M: Module>(model: &M) -> bool {
    Walker::run(model, OnAutodiff(false)).0
}

/// Whether `param` is frozen: on an autodiff device without requiring a gradient (burn's
/// `freeze`, `no_grad`). On a plain device nothing trains and nothing counts as frozen.
pub(crate) fn is_frozen<const D: usize>(param: &Param<Tensor<D>>) -> bool {
    param.lazy_device().is_autodiff() && !param.val().is_require_grad()
}

struct Read<'a> {
    layout: &'a Layout,
    values: Vec<Option<BurnTensor>>,
}

impl VisitFloat for Read<'_> {
    fn visit<const D: usize>(&mut self, site: &ParamSite, param: &Param<Tensor<D>>) {
        if let Some(g) = self.layout.group(&site.path) {
            self.values[g] = Some(BurnTensor::from_tensor(param.val()));
        }
    }
}

struct Swap<'a> {
    layout: &'a Layout,
    values: Vec<Option<BurnTensor>>,
    old: Vec<Option<BurnTensor>>,
    ids: Ids,
}

impl MapFloat for Swap<'_> {
    fn map<const D: usize>(
        &mut self,
        site: &ParamSite,
        param: Param<Tensor<D>>,
    ) -> Param<Tensor<D>> {
        let Some(g) = self.layout.group(&site.path) else {
            return param;
        };
        let value = self.values[g].take();
        let mut old = None;
        let mut param = param.map(|tensor| {
            let value = match value {
                Some(v) => v
                    .into_tensor::<D>()
                    .unwrap_or_else(|| unreachable!("one value of the group's rank per group")),
                None => Tensor::empty([0; D], &tensor.device().without_autodiff()),
            };
            let value = match (tensor.is_autodiff(), tensor.is_require_grad()) {
                (true, true) => value.autodiff().require_grad(),
                (true, false) => value.autodiff(),
                (false, _) => value,
            };
            old = Some(BurnTensor::from_tensor(tensor));
            value
        });
        self.old[g] = old;
        match &self.ids {
            Ids::Kept => {}
            Ids::Fresh => param.id = ParamId::new(),
            Ids::FreshRequiring(require_grad) => {
                param = param.set_require_grad(require_grad[g]);
                param.id = ParamId::new();
            }
        }
        param
    }
}

struct OnAutodiff(bool);

impl VisitFloat for OnAutodiff {
    fn visit<const D: usize>(&mut self, _site: &ParamSite, param: &Param<Tensor<D>>) {
        self.0 |= param.lazy_device().is_autodiff();
    }
}
