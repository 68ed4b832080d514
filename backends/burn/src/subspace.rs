//! [`Subspace`]: `m` copies of a user's burn model, and the plugin contract on them.

use std::collections::HashMap;

use burn::module::{Module, ModuleDisplay, Param, ParamId};
use burn::optim::GradientsParams;
use burn::tensor::{Gradients, Tensor};
use subspace_core::{
    Backend, Cos2, Cos2Config, Group, Pair, Point, PointSchedule, Region, Shape, Sharing,
    StepPoints, copy_gradients, cos2_regularizer,
};

use crate::backend::{Burn, BurnTensor};
use crate::error::{Error, Result};
use crate::layout::{Layout, conv_linear_weights};
use crate::mix_param::{AttachPoint, ErasedCopy};
use crate::params::{
    is_frozen, put_params, read_params, replace_params_requiring, standalone_with, take_params,
};
use crate::walk::{ParamSite, VisitFloat, Walker};

/// How a region is sampled and regularized.
#[derive(Debug, Clone, Copy)]
pub struct SubspaceConfig {
    /// Shape, shared or layerwise points, and the seed: the point of step `t` is a pure
    /// function of `(seed, t, layer)`.
    pub schedule: PointSchedule,
    /// `β` and `ε` of the cos² regularizer (default `β = 1`); `β = 0` turns it off.
    pub cos2: Cos2Config,
    /// Which parameters the regularizer covers (default [`conv_linear_weights`]).
    pub regularized: fn(&ParamSite) -> bool,
}

impl SubspaceConfig {
    /// A region of `shape`, shared points drawn from `seed`, `β = 1` over the weights of
    /// linear and convolution modules.
    pub fn new(shape: Shape, seed: u64) -> Self {
        Self {
            schedule: PointSchedule::new(shape, Sharing::Shared, seed),
            cos2: Cos2Config::default(),
            regularized: conv_linear_weights,
        }
    }

    /// Shared (one point for the network) or layerwise (one per layer) points.
    pub fn with_sharing(mut self, sharing: Sharing) -> Self {
        self.schedule.sharing = sharing;
        self
    }

    /// The regularizer's `β` and `ε` (checked by [`SubspaceConfig::validate`] when a subspace
    /// is built).
    pub fn with_cos2(mut self, cos2: Cos2Config) -> Self {
        self.cos2 = cos2;
        self
    }

    /// The configuration if its shape ([`Shape::validate`]) and its regularizer's `β` and `ε`
    /// ([`Cos2Config::validate`]: finite, `≥ 0`) are valid, for fields set by hand. Every
    /// constructor of [`Subspace`] checks it before building anything.
    pub fn validate(self) -> Result<Self> {
        self.schedule.shape.validate()?;
        self.cos2.validate()?;
        Ok(self)
    }

    /// The predicate choosing the parameters the regularizer covers.
    pub fn with_regularized(mut self, regularized: fn(&ParamSite) -> bool) -> Self {
        self.regularized = regularized;
        self
    }
}

/// The gradient of every copy for one step, ready for any burn optimizer.
#[derive(Debug)]
pub struct CopyGradients {
    /// `G_i = c_i(p) g + dR/dw_i`, keyed by the id of each copy's parameter; none for a frozen
    /// copy.
    pub params: GradientsParams,
    /// The cos² regularizer of this step, if it applied.
    pub regularizer: Option<Cos2>,
}

/// One step's model at `w(p)` from [`Subspace::mixed_step`], with what
/// [`SubspaceSgd::step`](crate::SubspaceSgd::step) needs after its backward pass.
#[derive(Debug)]
pub struct MixedStep<M> {
    /// The user's model at `w(p)` with fresh leaf parameters: run the forward and
    /// `backward()` on it.
    pub model: M,
    /// The point(s) of the step.
    pub points: StepPoints,
    /// The step's cos² regularizer at the copies, if it applies.
    pub regularizer: Option<Cos2>,
}

/// `m` independently initialised copies of a burn model `M`: a line, curve or simplex of
/// networks.
///
/// A `Subspace<M>` is itself a burn [`Module`] whose parameters are every copy of every
/// parameter (`copies.{i}.{path}`), each with its own [`ParamId`]: any burn optimizer steps it
/// with `optim.step(lr, subspace, grads)` and keeps separate state (momentum, Adam moments,
/// weight decay) for every copy. The region's BatchNorm running statistics are copy 0's.
///
/// Two forms of one training step (DESIGN.md, "The plugin contract"), with the same result:
///
/// - **in the graph**: [`Subspace::at`] gives the user's model whose parameters are
///   `Σ c_i w_i` inside burn's autodiff graph; burn's backward gives every copy its gradient
///   `c_i g`, and [`Subspace::gradients`] adds the cos² regularizer;
/// - **mix outside, scatter after backward**: [`Subspace::mixed`] gives the user's model at
///   `w(p)` (computed by core's [`Region::mix`]) with fresh leaves; after burn's backward,
///   [`Subspace::scatter`] pushes the gradient back through core's [`copy_gradients`].
#[derive(Module, Debug)]
pub struct Subspace<M: Module + ModuleDisplay> {
    /// Copy `i` of the whole model, in the shape's copy order.
    copies: Vec<M>,
    #[module(skip)]
    layout: Layout,
    #[module(skip)]
    config: SubspaceConfig,
}

impl<M: Module + ModuleDisplay> Subspace<M> {
    /// A region of `config.schedule.shape` with copies built by calling `init` once per copy,
    /// so each starts from its own random initialisation with its own parameter ids.
    ///
    /// Errors before `init` is called if `config` is invalid ([`SubspaceConfig::validate`]),
    /// and as [`Subspace::from_copies`] for the copies.
    pub fn new(config: SubspaceConfig, mut init: impl FnMut() -> M) -> Result<Self> {
        let config = config.validate()?;
        let copies = (0..config.schedule.shape.copies())
            .map(|_| init())
            .collect();
        Self::from_copies(config, copies)
    }

    /// A region holding the given copies (e.g. replayed from another framework).
    ///
    /// Errors if `config` is invalid ([`SubspaceConfig::validate`]), the number of copies does
    /// not fit the shape, they do not share copy 0's parameters (paths and dims), two of them
    /// share a parameter id (one model cloned instead of initialised again), or a parameter's
    /// rank is not 1 to 6.
    pub fn from_copies(config: SubspaceConfig, copies: Vec<M>) -> Result<Self> {
        let config = config.validate()?;
        let shape = config.schedule.shape;
        if copies.len() != shape.copies() {
            return Err(Error::CopyCount {
                shape: shape.to_string(),
                expected: shape.copies(),
                found: copies.len(),
            });
        }
        let layout = Layout::of(&copies[0], config.regularized)?;
        let mut owners: HashMap<ParamId, usize> = HashMap::new();
        for (k, copy) in copies.iter().enumerate() {
            layout.check_same(&Layout::of(copy, config.regularized)?, format!("copy {k}"))?;
            let ids = Walker::run(
                copy,
                Ids {
                    layout: &layout,
                    ids: Vec::new(),
                },
            )
            .ids;
            for (path, id) in ids {
                if let Some(first) = owners.insert(id, k) {
                    return Err(Error::SharedParamId {
                        path,
                        first,
                        second: k,
                    });
                }
            }
        }
        Ok(Self {
            copies,
            layout,
            config,
        })
    }

    /// A region holding the copies of `region` (e.g. read with
    /// [`load_region`](subspace_core::load_region) from a file another framework wrote), each
    /// a standalone copy of `template` (its type, mode and running statistics) with the
    /// region's values and fresh parameter ids.
    ///
    /// The groups' layers and regularized flags come from `template` and `config`, as for
    /// [`Subspace::from_copies`]; the region's own are not used.
    ///
    /// Errors if `config` is invalid ([`SubspaceConfig::validate`]), the region's shape is not
    /// `config`'s, or its groups are not `template`'s parameters (paths and dims, in burn's
    /// traversal order).
    pub fn from_region(config: SubspaceConfig, template: &M, region: Region<Burn>) -> Result<Self> {
        let config = config.validate()?;
        let shape = config.schedule.shape;
        if region.shape() != shape {
            return Err(Error::RegionShape {
                expected: shape.to_string(),
                found: region.shape().to_string(),
            });
        }
        let layout = Layout::of(template, config.regularized)?;
        layout.check_groups(
            region
                .groups()
                .iter()
                .map(|g| (g.name.as_str(), g.copies[0].dims())),
            "the region".into(),
        )?;
        let copies = per_copy(region)
            .into_iter()
            .map(|values| standalone_with(template, &layout, values))
            .collect();
        Self::from_copies(config, copies)
    }

    /// The subspace with another point schedule (a resumed run's).
    pub(crate) fn with_schedule(mut self, schedule: PointSchedule) -> Self {
        self.config.schedule = schedule;
        self
    }

    /// The configuration.
    pub fn config(&self) -> &SubspaceConfig {
        &self.config
    }

    /// The shape.
    pub fn shape(&self) -> Shape {
        self.config.schedule.shape
    }

    /// The parameter groups (paths, dims, layers, regularized).
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The copies, in the shape's copy order.
    pub fn copies(&self) -> &[M] {
        &self.copies
    }

    /// Takes the copies out.
    pub fn into_copies(self) -> Vec<M> {
        self.copies
    }

    /// The point(s) of step `step`: a pure function of `(seed, step, layer)`.
    pub fn points(&self, step: u64) -> StepPoints {
        self.config
            .schedule
            .points(step, self.layout.layers())
            .unwrap_or_else(|_| unreachable!("the constructors validate the shape"))
    }

    /// The copies as a core [`Region`] on the [`Burn`] backend (handles, outside autodiff), e.g.
    /// for metrics, [`subspace_core::save_region`] or the conformance suite.
    ///
    /// A group is regularized if the configured predicate covers it and at least one of its
    /// copies trains: a parameter frozen in every copy (burn's `freeze` or `no_grad` on an
    /// autodiff device) is left out of the cos² sums, as the paper regularizes the trainable
    /// weights. [`Subspace::layout`] keeps the predicate's choice.
    pub fn region(&self) -> Result<Region<Burn>> {
        Ok(self.region_and_trains()?.0)
    }

    /// [`Subspace::region`] and whether each copy of each group trains ([`Subspace::trains`]).
    fn region_and_trains(&self) -> Result<(Region<Burn>, Vec<Vec<bool>>)> {
        let trains = self.trains();
        let per_group = per_group(self.copies.iter().map(|c| read_params(c, &self.layout)));
        Ok((self.region_of(per_group, &trains)?, trains))
    }

    /// Whether each copy of each group trains: `trains[g][k]` is false if copy `k`'s parameter
    /// of group `g` is frozen (on an autodiff device without requiring a gradient). A frozen
    /// copy gets no gradient and no optimizer step.
    fn trains(&self) -> Vec<Vec<bool>> {
        per_group(self.copies.iter().map(|copy| {
            let groups = self.layout.groups().len();
            Walker::run(
                copy,
                Trains {
                    layout: &self.layout,
                    trains: vec![true; groups],
                },
            )
            .trains
        }))
    }

    /// The region of the copies `per_group[g][k]` of every group; a group is regularized if
    /// the predicate covers it and some copy of it trains.
    fn region_of(
        &self,
        per_group: Vec<Vec<BurnTensor>>,
        trains: &[Vec<bool>],
    ) -> Result<Region<Burn>> {
        let groups = self
            .layout
            .groups()
            .iter()
            .zip(per_group)
            .zip(trains)
            .map(|((g, copies), trains)| Group {
                name: g.site.path.clone(),
                layer: g.layer,
                regularized: g.regularized && trains.contains(&true),
                copies,
            })
            .collect();
        Ok(Region::new(self.shape(), groups)?)
    }

    /// Runs `f` on the copies as a core [`Region`] that alone holds them (moved out of the
    /// copies' parameters, so a backend may update them in place) and on whether each copy
    /// trains (`trains[g][k]`), then puts the region's copies back into the parameters, whose
    /// ids and settings are kept, whatever `f` returns.
    pub(crate) fn update_copies<R>(
        &mut self,
        f: impl FnOnce(&mut Region<Burn>, &[Vec<bool>]) -> Result<R>,
    ) -> Result<R> {
        let trains = self.trains();
        let mut taken = Vec::with_capacity(self.copies.len());
        let emptied: Vec<M> = std::mem::take(&mut self.copies)
            .into_iter()
            .map(|copy| {
                let (copy, values) = take_params(copy, &self.layout);
                taken.push(values);
                copy
            })
            .collect();
        let mut region = self
            .region_of(per_group(taken), &trains)
            .unwrap_or_else(|e| {
                unreachable!("the copies were checked when the subspace was built: {e}")
            });
        let result = f(&mut region, &trains);
        self.copies = emptied
            .into_iter()
            .zip(per_copy(region))
            .map(|(copy, values)| put_params(copy, &self.layout, values))
            .collect();
        result
    }

    /// The cos² regularizer of step `step` on the copies, if it applies: the shape has a pair,
    /// `β > 0`, and some parameter it covers is not frozen in every copy (see
    /// [`Subspace::region`]).
    pub fn regularizer(&self, step: u64) -> Result<Option<Cos2>> {
        self.regularizer_on(&self.region()?, step)
    }

    /// `params` with `terms[g]` added to copy `copy`'s gradient of every group `g`.
    fn add_grads(
        &self,
        copy: usize,
        terms: Vec<Option<Terms>>,
        params: GradientsParams,
    ) -> GradientsParams {
        let add = AddGrad {
            layout: &self.layout,
            terms,
            params,
        };
        Walker::run(&self.copies[copy], add).params
    }

    fn regularizer_on(&self, region: &Region<Burn>, step: u64) -> Result<Option<Cos2>> {
        self.regularized_pair(region, step)
            .map(|pair| cos2_regularizer(region, pair, self.config.cos2))
            .transpose()
            .map_err(Error::from)
    }

    /// The pair of step `step`, if the regularizer applies to `region` (from
    /// [`Subspace::region`]): a pair, `β > 0`, and not every parameter the predicate covers
    /// frozen. (A predicate that covers nothing is left to core's error.)
    fn regularized_pair(&self, region: &Region<Burn>, step: u64) -> Option<Pair> {
        let covered = self.layout.groups().iter().any(|g| g.regularized);
        let all_frozen = covered && !region.groups().iter().any(|g| g.regularized);
        self.config
            .schedule
            .pair(step)
            .filter(|_| self.config.cos2.beta > 0.0 && !all_frozen)
    }

    /// **In the graph**: the user's model at `points`, whose every parameter is
    /// `w(p) = Σ_i c_i(p) w_i` built inside burn's autodiff graph from the copies' own
    /// parameters (copy 0 with a [`MixedCopies`](crate::MixedCopies) reparameterization
    /// holding copies `1..m`).
    ///
    /// Run the forward and `backward()` on it, then [`Subspace::gradients`]. It shares copy
    /// 0's BatchNorm running statistics, so a training forward updates the region's.
    pub fn at(&self, points: &StepPoints) -> Result<M> {
        let mut others: Vec<Vec<ErasedCopy>> =
            self.layout.groups().iter().map(|_| Vec::new()).collect();
        for copy in &self.copies[1..] {
            let erased = Walker::run(
                copy,
                Erase {
                    layout: &self.layout,
                    params: (0..self.layout.groups().len()).map(|_| None).collect(),
                },
            );
            for (g, param) in erased.params.into_iter().enumerate() {
                others[g].push(param.unwrap_or_else(|| unreachable!("copies share the layout")));
            }
        }
        let shape = self.shape();
        let mut sites = HashMap::new();
        for (g, copies) in self.layout.groups().iter().zip(others) {
            let c = shape.coefficients(points.for_layer(g.layer)?)?;
            sites.insert(g.site.path.clone(), (copies, c));
        }
        let model = self.copies[0].clone();
        if self.copies.len() == 1 {
            return Ok(model);
        }
        Ok(model.apply_reparameterization(AttachPoint { sites }))
    }

    /// **In the graph**, after `backward()` on a model from [`Subspace::at`]: the gradient of
    /// every copy, `c_i(p) g` from burn's backward plus the cos² regularizer's `dR/dw_i` for
    /// the pair of step `step` (core's [`cos2_regularizer`] and
    /// [`Cos2::grad_lincomb_terms`]), added to burn's gradient as one linear combination
    /// `g + c_self w_i + c_other w_j`.
    ///
    /// Weight decay is the optimizer's (burn's `weight_decay` acts on each copy separately,
    /// SPEC.md §4). A copy of a parameter the loss does not reach has only its regularizer
    /// term if the parameter is regularized and the copy is in the pair, else no gradient, as
    /// in plain burn. A frozen copy has no gradient (burn's backward gives it none, and it gets
    /// no regularizer term), so no optimizer moves it.
    pub fn gradients(&self, mut grads: Gradients, step: u64) -> Result<CopyGradients> {
        let mut params = GradientsParams::from_module(&mut grads, self);
        let (region, trains) = self.region_and_trains()?;
        let regularizer = self.regularizer_on(&region, step)?;
        if let Some(reg) = &regularizer {
            for copy in [reg.pair.i(), reg.pair.j()] {
                let terms = region
                    .groups()
                    .iter()
                    .zip(&trains)
                    .map(|(g, trains)| {
                        let terms = reg.grad_lincomb_terms(g, copy).map(Vec::from);
                        terms.filter(|_| trains[copy])
                    })
                    .collect();
                params = self.add_grads(copy, terms, params);
            }
        }
        Ok(CopyGradients {
            params,
            regularizer,
        })
    }

    /// **Mix outside**: the user's model at `w(p)`, computed by core's [`Region::mix`], with
    /// fresh leaf parameters (new ids; each requires a gradient if some copy of it trains).
    ///
    /// Run the forward and `backward()` on it, then [`Subspace::scatter`]. It shares copy 0's
    /// BatchNorm running statistics, so a training forward updates the region's.
    pub fn mixed(&self, points: &StepPoints) -> Result<M> {
        let (region, trains) = self.region_and_trains()?;
        Ok(self.at_values(region.mix(points)?, &trains))
    }

    /// The user's model holding `w` (one value per group) as fresh leaves: copy 0 with new
    /// parameter ids, sharing its running statistics; a parameter requires a gradient if some
    /// copy of it trains (`trains[g][k]`).
    fn at_values(&self, w: Vec<BurnTensor>, trains: &[Vec<bool>]) -> M {
        let require_grad = trains.iter().map(|t| t.contains(&true)).collect();
        replace_params_requiring(self.copies[0].clone(), &self.layout, w, require_grad)
    }

    /// **Mix outside, for [`SubspaceSgd`](crate::SubspaceSgd)**: the user's model at the
    /// point of step `step` (as [`Subspace::mixed`]) and the cos² regularizer of the step,
    /// computed together by core's [`Region::mix_with_cos2`] (on flex, one pass over the copies
    /// for both).
    ///
    /// Run the forward and `backward()` on `model`, then
    /// [`SubspaceSgd::step`](crate::SubspaceSgd::step).
    pub fn mixed_step(&self, step: u64) -> Result<MixedStep<M>> {
        let points = self.points(step);
        let (region, trains) = self.region_and_trains()?;
        let (w, regularizer) = match self.regularized_pair(&region, step) {
            Some(pair) => {
                let (w, reg) = region.mix_with_cos2(&points, pair, self.config.cos2)?;
                (w, Some(reg))
            }
            None => (region.mix(&points)?, None),
        };
        let model = self.at_values(w, &trains);
        Ok(MixedStep {
            model,
            points,
            regularizer,
        })
    }

    /// **Scatter after backward**, after `backward()` on `mixed` from [`Subspace::mixed`] at
    /// the same `points`: the gradient of every copy by core's [`copy_gradients`],
    /// `c_i(p) g + dR/dw_i` (weight decay left to the optimizer).
    ///
    /// Gives the same gradients as the in-graph form: a copy of a parameter the loss does not
    /// reach has only its regularizer term if it is in the step's pair, else no gradient; a
    /// frozen copy has no gradient.
    pub fn scatter(
        &self,
        mut grads: Gradients,
        mixed: &M,
        points: &StepPoints,
        step: u64,
    ) -> Result<CopyGradients> {
        let found = self.mixed_grads(&mut grads, mixed)?;
        let (region, trains) = self.region_and_trains()?;
        let regularizer = self.regularizer_on(&region, step)?;
        // Whether copy `k` of a group has a gradient: it trains, and has one from the loss or
        // from the regularizer.
        let keep: Vec<Vec<bool>> = found
            .iter()
            .zip(region.groups())
            .zip(&trains)
            .map(|((g, group), trains)| {
                (0..self.copies.len())
                    .map(|k| {
                        trains[k]
                            && (g.is_some()
                                || (group.regularized
                                    && regularizer
                                        .as_ref()
                                        .is_some_and(|r| r.grad_terms(k).is_some())))
                    })
                    .collect()
            })
            .collect();
        let g = found
            .into_iter()
            .zip(region.groups())
            .map(|(g, group)| g.unwrap_or_else(|| BurnTensor::zeros_like(&group.copies[0])))
            .collect();
        let per_copy = copy_gradients(&region, g, points, regularizer.as_ref(), 0.0)?;
        let mut by_copy: Vec<Vec<Option<Terms>>> = self.copies.iter().map(|_| Vec::new()).collect();
        for (group, keep) in per_copy.into_iter().zip(&keep) {
            for (k, grad) in group.into_iter().enumerate() {
                by_copy[k].push(keep[k].then(|| vec![(1.0, grad)]));
            }
        }
        let mut params = GradientsParams::new();
        for (copy, terms) in by_copy.into_iter().enumerate() {
            params = self.add_grads(copy, terms, params);
        }
        Ok(CopyGradients {
            params,
            regularizer,
        })
    }

    /// The gradient of every group of `mixed` (from [`Subspace::mixed`]), taken out of
    /// `grads`; `None` where the loss does not reach the group. Errors if `mixed` does not
    /// have the copies' parameters.
    pub(crate) fn mixed_grads(
        &self,
        grads: &mut Gradients,
        mixed: &M,
    ) -> Result<Vec<Option<BurnTensor>>> {
        self.layout.check_same(
            &Layout::of(mixed, self.config.regularized)?,
            "the mixed model".into(),
        )?;
        Ok(Walker::run(
            mixed,
            TakeGrad {
                layout: &self.layout,
                grads,
                values: vec![None; self.layout.groups().len()],
            },
        )
        .values)
    }

    /// The network at `point` as a plain model of the user's own type: `Σ c_i(p) w_i` by core's
    /// [`Region::at`], fresh parameter ids, its own copy of the region's running statistics
    /// (recalibrate them with [`recalibrate_batch_norm`](crate::recalibrate_batch_norm)), and
    /// copy 0's mode. It does not depend on this crate.
    pub fn export(&self, point: &Point) -> Result<M> {
        let w = self.region()?.at(point)?;
        Ok(standalone_with(&self.copies[0], &self.layout, w))
    }
}

/// Per-copy values per group: `result[g][k]` is `per_copy[k][g]`, the inverse of
/// [`per_copy`].
fn per_group<T>(per_copy: impl IntoIterator<Item = Vec<T>>) -> Vec<Vec<T>> {
    let mut per_group: Vec<Vec<T>> = Vec::new();
    for values in per_copy {
        per_group.resize_with(values.len(), Vec::new);
        for (group, value) in per_group.iter_mut().zip(values) {
            group.push(value);
        }
    }
    per_group
}

/// The copies of `region` per copy: `result[k][g]` is copy `k` of group `g`.
fn per_copy(region: Region<Burn>) -> Vec<Vec<BurnTensor>> {
    let mut per_copy: Vec<Vec<BurnTensor>> = vec![Vec::new(); region.shape().copies()];
    for group in region.into_groups() {
        for (values, copy) in per_copy.iter_mut().zip(group.copies) {
            values.push(copy);
        }
    }
    per_copy
}

/// Collects `(path, id)` of every group parameter.
struct Ids<'a> {
    layout: &'a Layout,
    ids: Vec<(String, ParamId)>,
}

impl VisitFloat for Ids<'_> {
    fn visit<const D: usize>(&mut self, site: &ParamSite, param: &Param<Tensor<D>>) {
        if self.layout.group(&site.path).is_some() {
            self.ids.push((site.path.clone(), param.id));
        }
    }
}

/// Whether every group parameter of one copy trains (is not frozen).
struct Trains<'a> {
    layout: &'a Layout,
    trains: Vec<bool>,
}

impl VisitFloat for Trains<'_> {
    fn visit<const D: usize>(&mut self, site: &ParamSite, param: &Param<Tensor<D>>) {
        if let Some(g) = self.layout.group(&site.path) {
            self.trains[g] = !is_frozen(param);
        }
    }
}

/// Collects a handle to every group parameter, type-erased across ranks.
struct Erase<'a> {
    layout: &'a Layout,
    params: Vec<Option<ErasedCopy>>,
}

impl VisitFloat for Erase<'_> {
    fn visit<const D: usize>(&mut self, site: &ParamSite, param: &Param<Tensor<D>>) {
        if let Some(g) = self.layout.group(&site.path) {
            self.params[g] = Some(Box::new(param.clone()));
        }
    }
}

/// Takes the gradient of every group parameter out of burn's `Gradients` (moved, not
/// copied, so the copies' gradients can be computed in its buffer).
struct TakeGrad<'a> {
    layout: &'a Layout,
    grads: &'a mut Gradients,
    values: Vec<Option<BurnTensor>>,
}

impl VisitFloat for TakeGrad<'_> {
    fn visit<const D: usize>(&mut self, site: &ParamSite, param: &Param<Tensor<D>>) {
        if let Some(g) = self.layout.group(&site.path) {
            self.values[g] = param
                .val()
                .grad_remove(self.grads)
                .map(BurnTensor::from_tensor);
        }
    }
}

/// The terms `(c_k, x_k)` of a linear combination `Σ c_k x_k`.
type Terms = Vec<(f64, BurnTensor)>;

/// Adds `terms[g]` to the gradient of group `g` of one copy, registered under the copy's id.
struct AddGrad<'a> {
    layout: &'a Layout,
    /// Per group, the terms of a linear combination to add to the copy's gradient.
    terms: Vec<Option<Terms>>,
    params: GradientsParams,
}

impl VisitFloat for AddGrad<'_> {
    /// The gradient plus the terms, as one linear combination (one pass on flex).
    fn visit<const D: usize>(&mut self, site: &ParamSite, param: &Param<Tensor<D>>) {
        let Some(g) = self.layout.group(&site.path) else {
            return;
        };
        let Some(added) = self.terms[g].take() else {
            return;
        };
        let grad = self.params.remove::<D>(param.id);
        let terms = grad
            .map(|grad| (1.0, BurnTensor::from_tensor(grad)))
            .into_iter()
            .chain(added)
            .collect();
        let sum = Burn::lincomb(terms)
            .into_tensor::<D>()
            .unwrap_or_else(|| unreachable!("gradients have their parameter's rank"));
        self.params.register(param.id, sum);
    }
}
