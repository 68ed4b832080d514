//! A region of weight space: every parameter tensor of the host model held as `m` copies.

use std::collections::HashSet;

use crate::backend::{Backend, HostTensor, check_same_dims};
use crate::error::{Error, Result};
use crate::mix::{mix, scatter};
use crate::regularizer::{Cos2, Cos2Config, Pair, sum_grams};
use crate::sampler::StepPoints;
use crate::shape::{Point, Shape};

/// One named parameter tensor of the host model, held as `m` copies.
#[derive(Debug, Clone)]
pub struct Group<T> {
    /// The parameter's name, e.g. `"conv1.weight"`.
    pub name: String,
    /// The layer the parameter belongs to; a layerwise point is drawn per layer, so a layer's
    /// weight and bias move together.
    pub layer: usize,
    /// Whether the cos² regularizer covers this tensor (conv/linear weights yes, norm-layer
    /// scale and shift no, by default).
    pub regularized: bool,
    /// The copies `w_0 .. w_{m-1}`, in the shape's copy order.
    pub copies: Vec<T>,
}

/// A shape and the parameter groups that live on it.
#[derive(Debug, Clone)]
pub struct Region<B: Backend> {
    shape: Shape,
    groups: Vec<Group<B::Tensor>>,
    layers: usize,
}

impl<B: Backend> Region<B> {
    /// Validates and builds a region.
    ///
    /// Every group must hold `shape.copies()` copies of equal dims and have a unique name; there
    /// must be at least one group. Layers are numbered `0..layers`, with every index below the
    /// number of groups; the count is one more than the largest index.
    pub fn new(shape: Shape, groups: Vec<Group<B::Tensor>>) -> Result<Self> {
        let shape = shape.validate()?;
        if groups.is_empty() {
            return Err(Error::Empty {
                operation: "Region::new",
                what: "parameter groups",
            });
        }
        for g in &groups {
            if g.copies.len() != shape.copies() {
                return Err(Error::CopyCount {
                    group: g.name.clone(),
                    shape: shape.to_string(),
                    expected: shape.copies(),
                    found: g.copies.len(),
                });
            }
            check_same_dims::<B>("Region::new", &g.copies, |k| format!("{} copy {k}", g.name))?;
            if g.layer >= groups.len() {
                return Err(Error::LayerOutOfRange {
                    group: g.name.clone(),
                    layer: g.layer,
                    groups: groups.len(),
                });
            }
        }
        let mut names = HashSet::with_capacity(groups.len());
        if let Some(g) = groups.iter().find(|g| !names.insert(g.name.as_str())) {
            return Err(Error::DuplicateGroup {
                operation: "Region::new",
                name: g.name.clone(),
            });
        }
        let layers = groups.iter().map(|g| g.layer).max().map_or(0, |l| l + 1);
        Ok(Self {
            shape,
            groups,
            layers,
        })
    }

    /// A region on `device` holding host copies (e.g. read from a file, or another backend's
    /// region downloaded with [`Region::to_host`]).
    ///
    /// Errors as [`Region::new`].
    pub fn from_host(
        shape: Shape,
        groups: Vec<Group<HostTensor>>,
        device: &B::Device,
    ) -> Result<Self> {
        let groups = groups
            .into_iter()
            .map(|g| Group {
                copies: g.copies.iter().map(|c| B::from_host(c, device)).collect(),
                name: g.name,
                layer: g.layer,
                regularized: g.regularized,
            })
            .collect();
        Self::new(shape, groups)
    }

    /// Every copy of every group, downloaded to the host.
    ///
    /// Errors if the backend cannot download a copy.
    pub fn to_host(&self) -> Result<Vec<Group<HostTensor>>> {
        self.groups
            .iter()
            .map(|g| {
                Ok(Group {
                    name: g.name.clone(),
                    layer: g.layer,
                    regularized: g.regularized,
                    copies: g
                        .copies
                        .iter()
                        .map(|c| B::tensor_to_host(c.clone()))
                        .collect::<Result<_, _>>()?,
                })
            })
            .collect()
    }

    /// The shape.
    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// The parameter groups.
    pub fn groups(&self) -> &[Group<B::Tensor>] {
        &self.groups
    }

    /// The groups, to replace copies in place after their checks (no dims are changed).
    pub(crate) fn groups_mut(&mut self) -> &mut [Group<B::Tensor>] {
        &mut self.groups
    }

    /// Takes the groups out.
    pub fn into_groups(self) -> Vec<Group<B::Tensor>> {
        self.groups
    }

    /// The number of layers (one point per layer when sampling layerwise).
    pub fn layers(&self) -> usize {
        self.layers
    }

    /// Replaces the copies of every group, e.g. after an optimizer step; `copies[g][i]` is copy
    /// `i` of group `g`. Dims and counts are checked against the current copies.
    pub fn set_copies(&mut self, copies: Vec<Vec<B::Tensor>>) -> Result<()> {
        check_len(
            "Region::set_copies",
            "groups of copies",
            self.groups.len(),
            copies.len(),
        )?;
        for (g, new) in self.groups.iter().zip(&copies) {
            check_len(
                "Region::set_copies",
                "copies of a group",
                g.copies.len(),
                new.len(),
            )?;
            for (k, (old, new)) in g.copies.iter().zip(new).enumerate() {
                if B::dims(old) != B::dims(new) {
                    return Err(Error::DimsMismatch {
                        operation: "Region::set_copies",
                        what: format!("{} copy {k}", g.name),
                        expected: B::dims(old),
                        found: B::dims(new),
                    });
                }
            }
        }
        for (g, new) in self.groups.iter_mut().zip(copies) {
            g.copies = new;
        }
        Ok(())
    }

    /// `w(p)` for every group: the weights the host model gets this step.
    pub fn mix(&self, points: &StepPoints) -> Result<Vec<B::Tensor>> {
        self.groups
            .iter()
            .map(|g| {
                let c = self.shape.coefficients(points.for_layer(g.layer)?)?;
                mix::<B>(&g.copies, &c)
            })
            .collect()
    }

    /// `w(p)` for every group ([`Region::mix`]) and the cos² regularizer of `pair` over the
    /// regularized groups ([`cos2_regularizer`](crate::cos2_regularizer)), with the same
    /// values, from one [`Backend::lincomb_gram`] per group: a backend that fuses it reads
    /// every copy once for both.
    ///
    /// Errors as `mix` and `cos2_regularizer` do.
    pub fn mix_with_cos2(
        &self,
        points: &StepPoints,
        pair: Pair,
        config: Cos2Config,
    ) -> Result<(Vec<B::Tensor>, Cos2)> {
        let config = config.validate()?;
        let pair = Pair::new(pair.i(), pair.j(), self.shape.copies())?;
        let mut grams = Vec::new();
        let mixed = self
            .groups
            .iter()
            .map(|g| {
                let c = self.shape.coefficients(points.for_layer(g.layer)?)?;
                let terms = c.as_slice().iter().copied().zip(g.copies.iter().cloned());
                let regularized = g.regularized.then_some((pair.i(), pair.j()));
                let (w, gram) = B::lincomb_gram(terms.collect(), regularized);
                grams.extend(gram);
                Ok(w)
            })
            .collect::<Result<Vec<_>>>()?;
        let [s, a, b] = sum_grams::<B>(grams, "Region::mix_with_cos2")?;
        Ok((mixed, Cos2::from_sums(pair, s, a, b, config)))
    }

    /// `w(p)` for every group at one point, e.g. the midpoint for evaluation or export.
    pub fn at(&self, point: &Point) -> Result<Vec<B::Tensor>> {
        self.mix(&StepPoints::Shared(point.clone()))
    }

    /// `dL/dw_i = c_i(p) · dL/dw(p)` for every group and copy, from the gradient at `w(p)`.
    pub fn scatter(
        &self,
        grads: Vec<B::Tensor>,
        points: &StepPoints,
    ) -> Result<Vec<Vec<B::Tensor>>> {
        check_len(
            "Region::scatter",
            "gradients",
            self.groups.len(),
            grads.len(),
        )?;
        self.groups
            .iter()
            .zip(grads)
            .map(|(g, grad)| {
                self.check_grad_dims("Region::scatter", g, &grad)?;
                let c = self.shape.coefficients(points.for_layer(g.layer)?)?;
                Ok(scatter::<B>(grad, &c))
            })
            .collect()
    }

    pub(crate) fn check_grad_dims(
        &self,
        operation: &'static str,
        group: &Group<B::Tensor>,
        grad: &B::Tensor,
    ) -> Result<()> {
        check_dims::<B>(operation, group, grad, || {
            format!("gradient of {}", group.name)
        })
    }
}

/// Errors unless `tensor` has the dims of `group`'s copies; `what` names it.
pub(crate) fn check_dims<B: Backend>(
    operation: &'static str,
    group: &Group<B::Tensor>,
    tensor: &B::Tensor,
    what: impl FnOnce() -> String,
) -> Result<()> {
    let expected = B::dims(&group.copies[0]);
    let found = B::dims(tensor);
    if expected == found {
        Ok(())
    } else {
        Err(Error::DimsMismatch {
            operation,
            what: what(),
            expected,
            found,
        })
    }
}

/// Errors unless `found == expected`.
pub(crate) fn check_len(
    operation: &'static str,
    what: &'static str,
    expected: usize,
    found: usize,
) -> Result<()> {
    if expected == found {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            operation,
            what,
            expected,
            found,
        })
    }
}
