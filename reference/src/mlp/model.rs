//! The MLP's architecture, parameter layout and seeded initialisation.

use rand::{Rng, RngExt, SeedableRng, rngs::ChaCha8Rng};
use subspace_core::{Backend, Error, Group, HostTensor, Region, Result, Shape};

use crate::backend::{Cpu, Reference, Tensor};

/// Name, layer and regularization of one parameter tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ParamSpec {
    /// The parameter's name, e.g. `"fc1.weight"`.
    pub name: &'static str,
    /// The layer it belongs to (a layerwise point moves a layer's weight and bias together).
    pub layer: usize,
    /// Whether the cos² regularizer covers it: linear weights yes, biases no.
    pub regularized: bool,
}

/// The parameters in their fixed order; every list of parameters, gradients or copies of the
/// MLP follows it.
pub const PARAMS: [ParamSpec; 4] = [
    ParamSpec {
        name: "fc1.weight",
        layer: 0,
        regularized: true,
    },
    ParamSpec {
        name: "fc1.bias",
        layer: 0,
        regularized: false,
    },
    ParamSpec {
        name: "fc2.weight",
        layer: 1,
        regularized: true,
    },
    ParamSpec {
        name: "fc2.bias",
        layer: 1,
        regularized: false,
    },
];

/// A two-layer perceptron `logits = relu(x W1 + b1) W2 + b2`.
///
/// Parameters are laid out like burn's `Linear` (`y = x W + b`): `fc1.weight` `[input, hidden]`,
/// `fc1.bias` `[hidden]`, `fc2.weight` `[hidden, classes]`, `fc2.bias` `[classes]`, in the
/// order of [`PARAMS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Mlp {
    input: usize,
    hidden: usize,
    classes: usize,
}

impl Mlp {
    /// An MLP with `input` features, `hidden` units and `classes` outputs, all at least 1.
    pub fn new(input: usize, hidden: usize, classes: usize) -> Result<Self> {
        for (what, n) in [("input", input), ("hidden", hidden), ("classes", classes)] {
            if n == 0 {
                return Err(Error::InvalidNumber {
                    what,
                    value: 0.0,
                    expected: "a size of at least 1",
                });
            }
        }
        Ok(Self {
            input,
            hidden,
            classes,
        })
    }

    /// The number of input features.
    pub fn input(&self) -> usize {
        self.input
    }

    /// The number of hidden units.
    pub fn hidden(&self) -> usize {
        self.hidden
    }

    /// The number of classes.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// The dims of every parameter, in the order of [`PARAMS`].
    pub fn param_dims(&self) -> [Vec<usize>; 4] {
        [
            vec![self.input, self.hidden],
            vec![self.hidden],
            vec![self.hidden, self.classes],
            vec![self.classes],
        ]
    }

    /// One set of parameters drawn from `rng`, in the order of [`PARAMS`].
    ///
    /// Every element of a layer with fan-in `f` (`input` for fc1, `hidden` for fc2), weights and
    /// bias alike, is `((2u - 1) / sqrt(f)) as f32` with `u = rng.random::<f64>()`, i.e.
    /// `Uniform(-1/sqrt(f), 1/sqrt(f))` as PyTorch's and burn's `Linear` defaults. Tensors are
    /// drawn in parameter order, each in row-major order.
    pub fn init(&self, rng: &mut impl Rng) -> Vec<HostTensor> {
        let fan_in = [self.input, self.input, self.hidden, self.hidden];
        self.param_dims()
            .into_iter()
            .zip(fan_in)
            .map(|(dims, fan_in)| {
                let k = 1.0 / (fan_in as f64).sqrt();
                let n = dims.iter().product();
                let data = (0..n)
                    .map(|_| ((2.0 * rng.random::<f64>() - 1.0) * k) as f32)
                    .collect();
                HostTensor::new(dims, data)
                    .unwrap_or_else(|_| unreachable!("the data has the product of the dims"))
            })
            .collect()
    }

    /// Independent initial copies for `shape`, as `copies[param][copy]`.
    ///
    /// One `ChaCha8Rng::seed_from_u64(seed)` draws copy 0 with [`Mlp::init`], then copy 1, and
    /// so on, so copy 0 of every shape (a [`Shape::Point`] included) is the same network.
    pub fn init_copies(&self, shape: Shape, seed: u64) -> Vec<Vec<HostTensor>> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let by_copy: Vec<Vec<HostTensor>> =
            (0..shape.copies()).map(|_| self.init(&mut rng)).collect();
        (0..PARAMS.len())
            .map(|p| by_copy.iter().map(|copy| copy[p].clone()).collect())
            .collect()
    }

    /// The region of `shape` holding `copies[param][copy]` (host tensors, e.g. from
    /// [`Mlp::init_copies`] or a checkpoint) on the reference backend.
    ///
    /// Errors if there are not four parameters, a copy has other dims than the MLP's, or the
    /// copy count does not fit the shape.
    pub fn region(&self, shape: Shape, copies: Vec<Vec<HostTensor>>) -> Result<Region<Reference>> {
        self.region_on::<Reference>(shape, copies, &Cpu)
    }

    /// [`Mlp::region`] on `device` of any backend `B`: groups named, layered and regularized as
    /// [`PARAMS`].
    ///
    /// Errors as [`Mlp::region`].
    pub fn region_on<B: Backend>(
        &self,
        shape: Shape,
        copies: Vec<Vec<HostTensor>>,
        device: &B::Device,
    ) -> Result<Region<B>> {
        check_count(copies.len())?;
        let groups = PARAMS
            .iter()
            .zip(self.param_dims())
            .zip(copies)
            .map(|((spec, dims), copies)| {
                for (k, c) in copies.iter().enumerate() {
                    check_dims(&dims, c.dims(), &format!("{} copy {k}", spec.name))?;
                }
                Ok(Group {
                    name: spec.name.into(),
                    layer: spec.layer,
                    regularized: spec.regularized,
                    copies,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Region::from_host(shape, groups, device)
    }

    /// Checks that `params` are the MLP's four parameters with their dims.
    pub(crate) fn check_params(&self, params: &[Tensor]) -> Result<()> {
        check_count(params.len())?;
        for ((spec, dims), t) in PARAMS.iter().zip(self.param_dims()).zip(params) {
            check_dims(&dims, t.shape(), spec.name)?;
        }
        Ok(())
    }
}

fn check_count(found: usize) -> Result<()> {
    if found == PARAMS.len() {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            operation: "Mlp",
            what: "parameters (fc1.weight, fc1.bias, fc2.weight, fc2.bias)",
            expected: PARAMS.len(),
            found,
        })
    }
}

fn check_dims(expected: &[usize], found: &[usize], what: &str) -> Result<()> {
    if expected == found {
        Ok(())
    } else {
        Err(Error::DimsMismatch {
            operation: "Mlp",
            what: what.into(),
            expected: expected.to_vec(),
            found: found.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_is_seeded_bounded_and_independent_per_copy() {
        let mlp = Mlp::new(9, 4, 3).unwrap();
        let a = mlp.init_copies(Shape::Line, 5);
        assert_eq!(a, mlp.init_copies(Shape::Line, 5));
        assert_ne!(a, mlp.init_copies(Shape::Line, 6));
        assert_ne!(a[0][0], a[0][1], "copies must be drawn independently");
        let point = mlp.init_copies(Shape::Point, 5);
        assert_eq!(point[2][0], a[2][0], "copy 0 is the same for every shape");
        for (p, bound) in [(0, 1.0 / 3.0), (1, 1.0 / 3.0), (2, 0.5), (3, 0.5)] {
            let data = a[p][0].data();
            assert!(data.iter().all(|x| x.abs() <= bound));
            let max = data.iter().fold(0.0f32, |m, x| m.max(x.abs()));
            assert!(max > 0.5 * bound, "values should fill Uniform(-k, k)");
        }
    }

    #[test]
    fn region_checks_dims_and_counts() {
        let mlp = Mlp::new(3, 2, 2).unwrap();
        let region = mlp
            .region(Shape::Line, mlp.init_copies(Shape::Line, 0))
            .unwrap();
        assert_eq!(region.layers(), 2);
        assert!(region.groups()[0].regularized && !region.groups()[1].regularized);
        let wrong = Mlp::new(4, 2, 2).unwrap().init_copies(Shape::Line, 0);
        assert!(matches!(
            mlp.region(Shape::Line, wrong),
            Err(Error::DimsMismatch { .. })
        ));
        assert!(matches!(
            mlp.region(Shape::Line, mlp.init_copies(Shape::Point, 0)),
            Err(Error::CopyCount { .. })
        ));
        assert!(Mlp::new(3, 0, 2).is_err());
    }
}
