//! The parameter groups of a burn model: copies, layers, regularization.

use std::collections::HashMap;

use burn::module::{Module, Param};
use burn::tensor::Tensor;

use crate::error::{Error, Result};
use crate::walk::{ParamSite, VisitFloat, Walker};

/// The highest parameter rank the in-graph mix supports (conv3d weights have rank 5).
pub const MAX_RANK: usize = 6;

/// Module types whose `weight` the default regularizer covers.
const CONV_LINEAR: [&str; 8] = [
    "Linear",
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "DeformConv2d",
];

/// The default regularization predicate: the `weight` of burn's linear and convolution modules
/// (`Linear`, `Conv1d/2d/3d`, `ConvTranspose1d/2d/3d`, `DeformConv2d`).
pub fn conv_linear_weights(site: &ParamSite) -> bool {
    site.name == "weight" && CONV_LINEAR.contains(&site.module_type.as_str())
}

/// One parameter group of a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupLayout {
    /// Where the parameter sits; `site.path` is the group's name.
    pub site: ParamSite,
    /// The parameter's dims.
    pub dims: Vec<usize>,
    /// The layer (owning module) index.
    pub layer: usize,
    /// Whether the regularization predicate covers the group. Frozen parameters are left out
    /// at each step, not here (see [`Subspace::region`](crate::Subspace::region)).
    pub regularized: bool,
}

/// The parameter groups of a model, in traversal order: which tensors get copies, their layers
/// and whether the cos² regularizer covers them.
///
/// Every float parameter of the model is a group, named by its burn path (`"fc1.weight"`),
/// except running statistics (`BatchNorm`'s `running_mean`/`running_var`), which the whole
/// region shares. Groups are in burn's traversal order (the order of the struct's fields).
///
/// - **Layer**: one per module that owns parameters (each `Linear`/`Conv`, each norm layer),
///   numbered in order of appearance; a layerwise point moves a module's weight and bias
///   together.
/// - **Regularized**: decided by a predicate on the [`ParamSite`]; the default
///   [`conv_linear_weights`] covers the `weight` of linear and convolution modules, not biases
///   and not norm-layer scale/shift (SPEC.md §4). Whether a parameter is frozen is not part of
///   the layout: it may change during training (burn's `freeze`, `no_grad`), so the subspace
///   reads it at every step and leaves a parameter frozen in every copy out of the cos² sums
///   ([`Subspace::region`](crate::Subspace::region)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    groups: Vec<GroupLayout>,
    index: HashMap<String, usize>,
    layers: usize,
}

impl Layout {
    /// The layout of `model`, with `regularized` deciding which groups the cos² regularizer
    /// covers.
    ///
    /// Frozen parameters are groups like any other.
    ///
    /// Errors if the model has no float parameter besides running statistics, or one of rank 0
    /// or above [`MAX_RANK`].
    pub fn of<M: Module>(model: &M, regularized: fn(&ParamSite) -> bool) -> Result<Self> {
        let found = Walker::run(model, Collect::default()).sites;
        let mut modules: Vec<String> = Vec::new();
        let mut groups = Vec::new();
        for (site, dims) in found {
            if site.is_running_statistic() {
                continue;
            }
            if dims.is_empty() || dims.len() > MAX_RANK {
                return Err(Error::UnsupportedRank {
                    path: site.path,
                    rank: dims.len(),
                });
            }
            let layer = match modules.iter().position(|m| *m == site.module) {
                Some(layer) => layer,
                None => {
                    modules.push(site.module.clone());
                    modules.len() - 1
                }
            };
            groups.push(GroupLayout {
                regularized: regularized(&site),
                site,
                dims,
                layer,
            });
        }
        if groups.is_empty() {
            return Err(Error::NoParameters);
        }
        let index = groups
            .iter()
            .enumerate()
            .map(|(g, group)| (group.site.path.clone(), g))
            .collect();
        Ok(Self {
            groups,
            index,
            layers: modules.len(),
        })
    }

    /// The groups, in traversal order.
    pub fn groups(&self) -> &[GroupLayout] {
        &self.groups
    }

    /// The number of layers.
    pub fn layers(&self) -> usize {
        self.layers
    }

    /// The index of the group at `path`, if the parameter there is a group.
    pub fn group(&self, path: &str) -> Option<usize> {
        self.index.get(path).copied()
    }

    /// Errors unless `other` has the same groups (paths and dims) as `self`; `what` names the
    /// model that was checked.
    pub(crate) fn check_same(&self, other: &Layout, what: String) -> Result<()> {
        let found = other
            .groups
            .iter()
            .map(|g| (g.site.path.as_str(), &g.dims[..]));
        self.check_groups(found, what)
    }

    /// Errors unless `found` lists this layout's groups as `(path, dims)`, in order; `what`
    /// names what was checked.
    pub(crate) fn check_groups<'a>(
        &self,
        found: impl IntoIterator<Item = (&'a str, &'a [usize])>,
        what: String,
    ) -> Result<()> {
        let describe = |path: &str, dims: &[usize]| format!("{path} {dims:?}");
        let expected: Vec<String> = self
            .groups
            .iter()
            .map(|g| describe(&g.site.path, &g.dims))
            .collect();
        let found: Vec<String> = found
            .into_iter()
            .map(|(path, dims)| describe(path, dims))
            .collect();
        if expected == found {
            Ok(())
        } else {
            Err(Error::LayoutMismatch {
                what,
                expected,
                found,
            })
        }
    }
}

/// Collects every float parameter's site and dims.
#[derive(Default)]
struct Collect {
    sites: Vec<(ParamSite, Vec<usize>)>,
}

impl VisitFloat for Collect {
    fn visit<const D: usize>(&mut self, site: &ParamSite, param: &Param<Tensor<D>>) {
        self.sites
            .push((site.clone(), param.lazy_shape().as_slice().to_vec()));
    }
}
