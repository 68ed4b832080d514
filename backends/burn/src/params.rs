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
    let write = Write {
        layout,
        values: values.into_iter().map(Some).collect(),
    };
    MapWalker::run(model, write).0
}

/// A standalone copy of `template` holding `values`: fresh parameter ids, its own running
/// statistics, and the template's mode (on an autodiff device with the template's gradient and
/// training-flag settings if the template is, else plain).
pub(crate) fn standalone_with<M: Module>(
    template: &M,
    layout: &Layout,
    values: Vec<BurnTensor>,
) -> M {
    let training = on_autodiff(template);
    // `valid` copies the running statistics into fresh state and keeps the configured gradient
    // and training-flag settings, which `train` restores.
    let model = replace_params(template.valid(), layout, values);
    if training { model.train() } else { model }
}

/// Whether the model's parameters live on an autodiff device (a model being trained).
pub(crate) fn on_autodiff<M: Module>(model: &M) -> bool {
    Walker::run(model, OnAutodiff(false)).0
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

struct Write<'a> {
    layout: &'a Layout,
    values: Vec<Option<BurnTensor>>,
}

impl MapFloat for Write<'_> {
    fn map<const D: usize>(
        &mut self,
        site: &ParamSite,
        param: Param<Tensor<D>>,
    ) -> Param<Tensor<D>> {
        let Some(g) = self.layout.group(&site.path) else {
            return param;
        };
        let value = self.values[g]
            .take()
            .and_then(BurnTensor::into_tensor::<D>)
            .unwrap_or_else(|| unreachable!("one value of the group's rank per group"));
        let mut param = param.map(|old| match (old.is_autodiff(), old.is_require_grad()) {
            (true, true) => value.autodiff().require_grad(),
            (true, false) => value.autodiff(),
            (false, _) => value,
        });
        param.id = ParamId::new();
        param
    }
}

struct OnAutodiff(bool);

impl VisitFloat for OnAutodiff {
    fn visit<const D: usize>(&mut self, _site: &ParamSite, param: &Param<Tensor<D>>) {
        self.0 |= param.lazy_device().is_autodiff();
    }
}
