//! Host test data: tensors drawn from a seed, regions described by dims and seeds, and the
//! transfers to and from a backend.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use subspace_core::{Backend, Group, HostTensor, Region, Shape, StepPoints};

use crate::outcome::CaseError;

/// A tensor described by its dims and the seed of its elements; see [`TensorSpec::host`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorSpec {
    /// The dims (empty for a scalar).
    pub dims: Vec<usize>,
    /// The seed of the elements.
    pub seed: u64,
}

impl TensorSpec {
    /// The elements: mostly `±[1, 2) · 2^e` with `e` uniform in `-6..=6` (a dynamic range of
    /// `2^13`), about 5% `+0.0` and 2.5% `-0.0`. All finite and normal.
    pub fn host(&self) -> HostTensor {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let len = self.dims.iter().product::<usize>();
        let data = (0..len)
            .map(|_| match rng.random_range(0..40u32) {
                0 | 1 => 0.0,
                2 => -0.0,
                _ => {
                    let m = 1.0 + rng.random::<f32>();
                    let e = rng.random_range(-6..=6i32);
                    let sign = if rng.random::<bool>() { 1.0 } else { -1.0 };
                    sign * m * 2f32.powi(e)
                }
            })
            .collect();
        host_tensor(self.dims.clone(), data)
    }

    /// Like [`host`](Self::host), with the first element replaced by `1` if all are zero.
    pub fn host_nonzero(&self) -> HostTensor {
        let t = self.host();
        if t.data().iter().any(|&x| x != 0.0) {
            return t;
        }
        let mut data = t.into_data();
        if let Some(x) = data.first_mut() {
            *x = 1.0;
        }
        host_tensor(self.dims.clone(), data)
    }
}

/// A [`HostTensor`] whose data was built for its dims.
pub(crate) fn host_tensor(dims: Vec<usize>, data: Vec<f32>) -> HostTensor {
    HostTensor::new(dims, data)
        .unwrap_or_else(|e| unreachable!("test data is built with matching dims: {e}"))
}

/// One parameter group of a [`RegionSpec`]: dims, layer, whether regularized, a seed per copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSpec {
    /// The dims of every copy.
    pub dims: Vec<usize>,
    /// The layer the group belongs to.
    pub layer: usize,
    /// Whether the cos² regularizer covers the group.
    pub regularized: bool,
    /// One seed per copy.
    pub seeds: Vec<u64>,
}

impl GroupSpec {
    /// The copies as host tensors.
    pub fn copies(&self) -> Vec<HostTensor> {
        self.tensors().map(|t| t.host()).collect()
    }

    /// The copies as host tensors, none of them all zero.
    pub fn nonzero_copies(&self) -> Vec<HostTensor> {
        self.tensors().map(|t| t.host_nonzero()).collect()
    }

    fn tensors(&self) -> impl Iterator<Item = TensorSpec> + '_ {
        self.seeds.iter().map(|&seed| TensorSpec {
            dims: self.dims.clone(),
            seed,
        })
    }

    /// The number of elements of one copy.
    pub fn elements(&self) -> usize {
        self.dims.iter().product()
    }
}

/// A region described by its shape and groups; the data follows from the seeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionSpec {
    /// The shape.
    pub shape: Shape,
    /// The groups (at least one; group 0 is regularized).
    pub groups: Vec<GroupSpec>,
}

impl RegionSpec {
    /// The copies of every group as host tensors: `[group][copy]`.
    pub fn host(&self) -> Vec<Vec<HostTensor>> {
        self.groups.iter().map(GroupSpec::copies).collect()
    }

    /// Like [`host`](Self::host), with no copy of a group all zero.
    pub fn host_nonzero(&self) -> Vec<Vec<HostTensor>> {
        self.groups.iter().map(GroupSpec::nonzero_copies).collect()
    }

    /// One host tensor per group with the group's dims, e.g. a gradient of the mixed
    /// weights, from `seeds[g]` (groups beyond `seeds` get none).
    pub fn per_group(&self, seeds: &[u64]) -> Vec<HostTensor> {
        self.groups
            .iter()
            .zip(seeds)
            .map(|(g, &seed)| {
                TensorSpec {
                    dims: g.dims.clone(),
                    seed,
                }
                .host()
            })
            .collect()
    }

    /// The number of layers (one more than the largest layer index).
    pub fn layers(&self) -> usize {
        self.groups.iter().map(|g| g.layer + 1).max().unwrap_or(0)
    }

    /// Uploads `copies` (as from [`host`](Self::host), maybe modified) as a region of `B`.
    pub fn region<B: Backend>(
        &self,
        copies: &[Vec<HostTensor>],
        device: &B::Device,
    ) -> subspace_core::Result<Region<B>> {
        let groups = self
            .groups
            .iter()
            .zip(copies)
            .enumerate()
            .map(|(g, (spec, copies))| Group {
                name: format!("group{g}"),
                layer: spec.layer,
                regularized: spec.regularized,
                copies: copies.iter().map(|t| B::from_host(t, device)).collect(),
            })
            .collect();
        Region::new(self.shape, groups)
    }
}

/// A region and the points of one step.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionCase {
    /// The region.
    pub region: RegionSpec,
    /// Shared or layerwise points for it.
    pub points: StepPoints,
}

/// Downloads a tensor's elements.
pub(crate) fn download<B: Backend>(tensor: B::Tensor) -> Result<Vec<f32>, CaseError> {
    Ok(B::tensor_to_host(tensor)?.into_data())
}

/// Downloads tensors' elements.
pub(crate) fn download_all<B: Backend>(
    tensors: Vec<B::Tensor>,
) -> Result<Vec<Vec<f32>>, CaseError> {
    tensors.into_iter().map(download::<B>).collect()
}

/// Widens to `f64`.
pub(crate) fn widen(data: &[f32]) -> Vec<f64> {
    data.iter().map(|&x| f64::from(x)).collect()
}
