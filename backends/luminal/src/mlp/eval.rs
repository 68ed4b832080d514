//! Points of a region of MLPs evaluated by luminal: any point, a sweep of points, ensembles;
//! regions built from host copies or read from a region file written by any adapter.

use std::path::{Path, PathBuf};

use subspace_core::metrics::{Combine, Logits, ensemble};
use subspace_core::{
    Error, HostTensor, Point, Region, RegionFileError, Result, Shape, load_region,
};
use subspace_reference::mlp::PARAMS;
use thiserror::Error;

use super::LuminalMlp;
use crate::backend::Luminal;
use crate::target::Target;
use crate::tensor::Tensor;

/// Copy 0 of every group: the dims every copy of a valid region shares.
fn first_copies<T: Target>(region: &Region<Luminal<T>>) -> Vec<Tensor> {
    region
        .groups()
        .iter()
        .map(|g| g.copies[0].clone())
        .collect()
}

/// Why a region file could not be loaded as copies of an MLP.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read or is not a valid region file.
    #[error(transparent)]
    File(#[from] RegionFileError),
    /// Group `index` of the file is not the MLP's parameter there.
    #[error(
        "region file {path:?}: group {index} is `{found}`, expected `{expected}` (groups in the order fc1.weight, fc1.bias, fc2.weight, fc2.bias)"
    )]
    Group {
        /// The file.
        path: PathBuf,
        /// The group's index in the file.
        index: usize,
        /// Its name in the file.
        found: String,
        /// The MLP's parameter at that index.
        expected: &'static str,
    },
    /// The file's copies do not have the MLP's dims or count.
    #[error("region file {path:?} does not hold copies of this MLP: {source}")]
    Mlp {
        /// The file.
        path: PathBuf,
        /// What did not fit.
        source: Error,
    },
}

impl<T: Target> LuminalMlp<T> {
    /// The region of `shape` holding `copies[param][copy]` (host tensors, e.g. from
    /// [`Mlp::init_copies`](subspace_reference::mlp::Mlp::init_copies)), groups named, layered
    /// and regularized as [`PARAMS`].
    ///
    /// Errors if there are not four parameters, a copy has other dims than the MLP's, or the
    /// copy count does not fit the shape.
    pub fn region(&self, shape: Shape, copies: Vec<Vec<HostTensor>>) -> Result<Region<Luminal<T>>> {
        self.mlp.region_on(shape, copies, &T::default())
    }

    /// The region stored at `path` by any adapter (see
    /// [`REGION_FORMAT`](subspace_core::REGION_FORMAT)).
    ///
    /// Errors if the file is unreadable or invalid, its groups are not the MLP's parameters in
    /// the order of [`PARAMS`], or their dims differ from the MLP's.
    pub fn load(&self, path: &Path) -> Result<Region<Luminal<T>>, LoadError> {
        let region = load_region::<Luminal<T>>(path, &T::default())?;
        for (index, (g, spec)) in region.groups().iter().zip(PARAMS.iter()).enumerate() {
            if g.name != spec.name {
                return Err(LoadError::Group {
                    path: path.into(),
                    index,
                    found: g.name.clone(),
                    expected: spec.name,
                });
            }
        }
        self.check_params(&first_copies(&region))
            .map_err(|source| LoadError::Mlp {
                path: path.into(),
                source,
            })?;
        Ok(region)
    }

    /// The logits of `inputs` at `point` of `region`: the network at `w(p)`, mixed by luminal
    /// graphs ([`Region::at`]) and evaluated by the compiled forward graph.
    ///
    /// Errors if the point does not belong to the region's shape or the copies or inputs do
    /// not fit the MLP.
    pub fn logits_at(
        &self,
        region: &Region<Luminal<T>>,
        point: &Point,
        inputs: &[f32],
    ) -> Result<Logits> {
        self.logits(&region.at(point)?, inputs)
    }

    /// The logits at every one of `points`, e.g. the line `a ∈ {0, 0.05, .., 1}` of
    /// [`grid(21)`](subspace_core::metrics::grid).
    ///
    /// Errors as [`LuminalMlp::logits_at`].
    pub fn sweep(
        &self,
        region: &Region<Luminal<T>>,
        points: &[Point],
        inputs: &[f32],
    ) -> Result<Vec<Logits>> {
        points
            .iter()
            .map(|p| self.logits_at(region, p, inputs))
            .collect()
    }

    /// The ensemble of the networks at `members` (e.g. the two ends of a line), combined by
    /// [`ensemble`] (the paper's default: the mean of the logits).
    ///
    /// Errors if `members` is empty or as [`LuminalMlp::logits_at`].
    pub fn ensemble(
        &self,
        region: &Region<Luminal<T>>,
        members: &[Point],
        inputs: &[f32],
        combine: Combine,
    ) -> Result<Logits> {
        ensemble(&self.sweep(region, members, inputs)?, combine)
    }
}
