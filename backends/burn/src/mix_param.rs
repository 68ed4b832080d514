//! The in-graph mix as a burn [`Reparameterization`].

use std::any::Any;
use std::collections::HashMap;

use burn::module::{Module, Param, Reparameterization, Reparameterizer};
use burn::tensor::Tensor;
use subspace_core::Coefficients;

use crate::backend::lincomb;

/// A tensor of rank `A` as rank `B`; the ranks are equal by construction.
fn same_rank<T: Any, U: Any>(value: T) -> U {
    let boxed: Box<dyn Any> = Box::new(value);
    *boxed
        .downcast::<U>()
        .unwrap_or_else(|_| unreachable!("copies are attached to a parameter of their own rank"))
}

/// Copies `1..m` of one parameter, as parameters of their own rank (their ids are the copies'
/// ids, so gradients and optimizer state reach the copies themselves).
macro_rules! ranked_copies {
    ($($rank:literal => $variant:ident),* $(,)?) => {
        /// Copies `1..m` of a parameter, by rank.
        #[derive(Module, Debug)]
        enum RankedCopies {
            $(
                /// Copies of a parameter of this rank.
                $variant(Vec<Param<Tensor<$rank>>>),
            )*
        }

        impl RankedCopies {
            /// Wraps copies of rank `D` (`None` above the supported ranks).
            fn new<const D: usize>(copies: Vec<Param<Tensor<D>>>) -> Option<Self> {
                let boxed: Box<dyn Any> = Box::new(copies);
                $(
                    let boxed = match boxed.downcast::<Vec<Param<Tensor<$rank>>>>() {
                        Ok(copies) => return Some(Self::$variant(*copies)),
                        Err(other) => other,
                    };
                )*
                drop(boxed);
                None
            }

            /// The current values of the copies, as rank `D`.
            fn values<const D: usize>(&self) -> Vec<Tensor<D>> {
                match self {
                    $(
                        Self::$variant(copies) => {
                            copies.iter().map(|p| same_rank(p.val())).collect()
                        }
                    )*
                }
            }
        }
    };
}

ranked_copies!(1 => R1, 2 => R2, 3 => R3, 4 => R4, 5 => R5, 6 => R6);

/// The other copies of a parameter and the coefficients of one point.
///
/// Attached to copy 0 of a parameter as a burn [`Reparameterization`], it makes `Param::val()` return `w(p) = Σ_i c_i(p) w_i` inside the autodiff graph, so the
/// framework's backward yields `dL/dw_i = c_i(p) dL/dw(p)` for every copy (SPEC.md §2).
///
/// The point is never state of a layer: [`Subspace::at`](crate::Subspace::at) builds a fresh
/// model-at-a-point from the copies and the coefficients of one step, and the next step builds
/// another.
#[derive(Module, Debug)]
pub struct MixedCopies {
    copies: RankedCopies,
    /// `c_0 .. c_{m-1}`; `c_0` weighs the parameter this is attached to (copy 0).
    #[module(skip)]
    coefficients: Vec<f64>,
}

impl Reparameterization for MixedCopies {
    const NAME: &'static str = "subspace";

    /// `c_0 · base + Σ_{i≥1} c_i · w_i`, with the same operations as the backend's `lincomb`.
    fn apply<const D: usize>(&self, base: Tensor<D>) -> Tensor<D> {
        let others = self.copies.values::<D>();
        lincomb(
            self.coefficients
                .iter()
                .copied()
                .zip(std::iter::once(base).chain(others)),
        )
    }
}

/// The copies `1..m` of one parameter, type-erased across ranks until they are attached.
pub(crate) type ErasedCopy = Box<dyn Any + Send>;

/// Attaches [`MixedCopies`] to every group parameter of a clone of copy 0.
pub(crate) struct AttachPoint {
    /// `path → (copies 1..m of the parameter, coefficients of its layer's point)`.
    pub(crate) sites: HashMap<String, (Vec<ErasedCopy>, Coefficients)>,
}

impl Reparameterizer for AttachPoint {
    type Reparam = MixedCopies;

    fn reparameterize<const D: usize>(
        &mut self,
        path: &str,
        param: Param<Tensor<D>>,
    ) -> (Param<Tensor<D>>, Option<MixedCopies>) {
        let Some((others, coefficients)) = self.sites.remove(path) else {
            // Running statistics and parameters the point does not cover stay as they are.
            return (param, None);
        };
        let others: Vec<Param<Tensor<D>>> = others
            .into_iter()
            .map(|copy| {
                *copy
                    .downcast::<Param<Tensor<D>>>()
                    .unwrap_or_else(|_| unreachable!("copies share the parameter's rank"))
            })
            .collect();
        let copies = RankedCopies::new(others)
            .unwrap_or_else(|| unreachable!("the layout admits ranks 1 to 6 only"));
        let mixed = MixedCopies {
            copies,
            coefficients: coefficients.as_slice().to_vec(),
        };
        (param, Some(mixed))
    }
}
