//! [`Backend`] as luminal graphs: one compiled graph per operation, reused for every size.
//!
//! ```text
//! lincomb:  out  = Σ_k c_k x_k          (x_k: Dyn<'n'>, c_k: scalar inputs, summed in term order)
//! dot:      <a,b> = Σ_r Σ_j a_rj b_rj    (a, b: (Dyn<'r'>, 256) blocks, zero-padded)
//! gram:     <a,b>, |a|², |b|² in one graph over the same blocks
//! ```
//!
//! The coefficients are graph *inputs*, not constants, so one compiled graph serves every point
//! of a region. Reductions are blocked: a sequential `f32` sum inside each block of
//! [`BLOCK`] elements, then a sequential `f32` sum of the block sums, so the rounding error is
//! about `(BLOCK + n / BLOCK) u Σ|a_k b_k|` instead of `n u Σ|a_k b_k|`.

use std::marker::PhantomData;

use luminal::prelude::{Axis, Const, Dyn, GraphTensor, R0};
use subspace_core::{Backend, BackendError, Gram, HostTensor};

use crate::graph::{GraphBuilder, GraphKey, run};
use crate::target::{Cpu, Target};
use crate::tensor::Tensor;

/// Elements per block of a blocked reduction.
pub const BLOCK: usize = 256;

/// A flat tensor of `n` elements.
type Flat = (Dyn<'n'>,);
/// A flat tensor zero-padded to `r` blocks of [`BLOCK`] elements.
type Blocks = (Dyn<'r'>, Const<BLOCK>);

/// The subspace [`Backend`] on luminal graphs, compiled for the target `T` (default: CPU).
///
/// Every operation runs a graph that was compiled once per thread (see the [crate] docs).
/// Coefficients are rounded to `f32`; arithmetic is `f32`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Luminal<T: Target = Cpu>(PhantomData<T>);

impl<T: Target> Backend for Luminal<T> {
    type Device = T;
    type Tensor = Tensor;
    type Scalar = f64;

    fn name(_device: &T) -> String {
        T::NAME.into()
    }

    fn from_host(tensor: &HostTensor, _device: &T) -> Tensor {
        Tensor::from_host(tensor)
    }

    fn tensor_to_host(tensor: Tensor) -> Result<HostTensor, BackendError> {
        Ok(tensor.to_host())
    }

    /// The scalars were read back when their graph ran; this only hands them over.
    fn to_host(scalars: Vec<f64>) -> Result<Vec<f64>, BackendError> {
        Ok(scalars)
    }

    fn dims(tensor: &Tensor) -> Vec<usize> {
        tensor.dims().to_vec()
    }

    /// `Σ_k c_k x_k` by the compiled lincomb graph with `k` terms.
    fn lincomb(terms: Vec<(f64, Tensor)>) -> Tensor {
        let dims = terms[0].1.dims().to_vec();
        let n = terms[0].1.len();
        if n == 0 {
            return Tensor::from_parts(dims, Vec::new());
        }
        let k = terms.len();
        let (coefficients, tensors): (Vec<f64>, Vec<Tensor>) = terms.into_iter().unzip();
        let inputs = tensors
            .into_iter()
            .map(Tensor::into_data)
            .chain(coefficients.into_iter().map(|c| vec![c as f32]))
            .collect();
        let out = run::<T>(
            GraphKey::Lincomb { terms: k },
            |b| build_lincomb(b, k),
            &[('n', n)],
            inputs,
        );
        Tensor::from_parts(dims, single(out))
    }

    /// `<a, b>` as a blocked sum by the compiled dot graph.
    fn dot(a: Tensor, b: Tensor) -> f64 {
        if a.is_empty() {
            return 0.0;
        }
        let r = blocks(a.len());
        let out = run::<T>(
            GraphKey::Dot,
            build_dot,
            &[('r', r)],
            vec![padded(a, r), padded(b, r)],
        );
        single(out)[0] as f64
    }

    /// `<a, b>`, `|a|²`, `|b|²` from one graph that reads `a` and `b` once.
    fn gram(a: Tensor, b: Tensor) -> Gram<f64> {
        if a.is_empty() {
            return Gram {
                ab: 0.0,
                aa: 0.0,
                bb: 0.0,
            };
        }
        let r = blocks(a.len());
        let out = run::<T>(
            GraphKey::Gram,
            build_gram,
            &[('r', r)],
            vec![padded(a, r), padded(b, r)],
        );
        let [ab, aa, bb] = [0, 1, 2].map(|k| out[k][0] as f64);
        Gram { ab, aa, bb }
    }
}

/// The only output of a one-output graph.
fn single(mut outputs: Vec<Vec<f32>>) -> Vec<f32> {
    outputs
        .pop()
        .unwrap_or_else(|| unreachable!("the graph marks one output"))
}

/// The number of blocks that hold `n > 0` elements.
fn blocks(n: usize) -> usize {
    n.div_ceil(BLOCK)
}

/// The elements of `t` followed by zeros up to `r` whole blocks.
fn padded(t: Tensor, r: usize) -> Vec<f32> {
    let mut data = t.into_data();
    data.resize(r * BLOCK, 0.0);
    data
}

/// Inputs `x_0 .. x_{k-1}` then `c_0 .. c_{k-1}`; output `((c_0 x_0 + c_1 x_1) + ..)`.
fn build_lincomb(b: &mut GraphBuilder<'_>, k: usize) {
    let xs: Vec<GraphTensor<Flat>> = (0..k).map(|i| b.input(&format!("x{i}"))).collect();
    let cs: Vec<GraphTensor<R0>> = (0..k).map(|i| b.input(&format!("c{i}"))).collect();
    let sum = xs
        .into_iter()
        .zip(cs)
        .map(|(x, c)| x * c.expand())
        .reduce(|acc, term| acc + term)
        .unwrap_or_else(|| unreachable!("core passes at least one term"));
    b.output(sum);
}

/// `Σ_r Σ_j x_rj`: within each block, then over the blocks.
fn blocked_sum(x: GraphTensor<Blocks>) -> GraphTensor<R0> {
    x.sum_reduce::<(Dyn<'r'>,), Axis<1>>()
        .sum_reduce::<R0, Axis<0>>()
}

/// Inputs `a`, `b`; output `<a, b>`.
fn build_dot(b: &mut GraphBuilder<'_>) {
    let (x, y) = (b.input::<Blocks>("a"), b.input::<Blocks>("b"));
    b.output(blocked_sum(x * y));
}

/// Inputs `a`, `b`; outputs `<a, b>`, `|a|²`, `|b|²`.
fn build_gram(b: &mut GraphBuilder<'_>) {
    let (x, y) = (b.input::<Blocks>("a"), b.input::<Blocks>("b"));
    b.output(blocked_sum(x * y));
    b.output(blocked_sum(x * x));
    b.output(blocked_sum(y * y));
}

#[cfg(test)]
mod tests {
    use rand::{RngExt, SeedableRng, rngs::ChaCha8Rng};
    use subspace_reference::Reference;

    use super::*;
    use crate::graph::compilations;

    type L = Luminal<Cpu>;

    fn random(dims: &[usize], seed: u64) -> HostTensor {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n = dims.iter().product();
        let data = (0..n).map(|_| rng.random::<f32>() * 2.0 - 1.0).collect();
        HostTensor::new(dims.to_vec(), data).unwrap()
    }

    fn both(h: &HostTensor) -> (Tensor, subspace_reference::Tensor) {
        (
            L::from_host(h, &Cpu),
            Reference::from_host(h, &subspace_reference::Cpu),
        )
    }

    #[test]
    fn lincomb_matches_the_reference_within_f32_rounding() {
        for dims in [vec![], vec![1], vec![7, 3], vec![2, 3, 5]] {
            let hosts: Vec<HostTensor> = (0..3).map(|s| random(&dims, s)).collect();
            let c = [0.3, -1.7, 2.5];
            let (lum, refr): (Vec<_>, Vec<_>) = hosts.iter().map(both).unzip();
            let got = L::lincomb(c.iter().copied().zip(lum).collect());
            let want = Reference::lincomb(c.iter().copied().zip(refr).collect());
            let want = Reference::tensor_to_host(want).unwrap();
            assert_eq!(got.dims(), want.dims());
            for (k, (g, w)) in got.data().iter().zip(want.data()).enumerate() {
                let magnitude: f64 = hosts
                    .iter()
                    .zip(c)
                    .map(|(h, c)| (c * h.data()[k] as f64).abs())
                    .sum();
                assert!(
                    (*g as f64 - *w as f64).abs() <= 1e-6 * magnitude,
                    "{g} vs {w}"
                );
            }
        }
    }

    #[test]
    fn lincomb_at_a_vertex_is_exact() {
        let (a, b) = (random(&[5, 4], 1), random(&[5, 4], 2));
        let out = L::lincomb(vec![
            (1.0, L::from_host(&a, &Cpu)),
            (0.0, L::from_host(&b, &Cpu)),
        ]);
        assert_eq!(out.data(), a.data());
        let out = L::lincomb(vec![
            (0.0, L::from_host(&a, &Cpu)),
            (1.0, L::from_host(&b, &Cpu)),
        ]);
        assert_eq!(out.data(), b.data());
    }

    #[test]
    fn gram_matches_the_reference_across_block_boundaries() {
        for n in [1, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK + 17, 100_000] {
            let (a, b) = (random(&[n], n as u64), random(&[n], n as u64 + 1));
            let ((la, ra), (lb, rb)) = (both(&a), both(&b));
            let got = L::gram(la.clone(), lb.clone());
            let want = Reference::gram(ra, rb);
            let magnitude = |x: &HostTensor, y: &HostTensor| -> f64 {
                x.data()
                    .iter()
                    .zip(y.data())
                    .map(|(p, q)| (*p as f64 * *q as f64).abs())
                    .sum()
            };
            for (g, w, m) in [
                (got.ab, want.ab, magnitude(&a, &b)),
                (got.aa, want.aa, magnitude(&a, &a)),
                (got.bb, want.bb, magnitude(&b, &b)),
            ] {
                assert!((g - w).abs() <= 2e-5 * m, "n = {n}: {g} vs {w}");
            }
            assert_eq!(
                L::dot(la, lb),
                got.ab,
                "dot and gram share the blocked order"
            );
        }
    }

    #[test]
    fn empty_tensors_give_empty_results() {
        let e = L::from_host(&HostTensor::new(vec![0, 3], vec![]).unwrap(), &Cpu);
        assert_eq!(L::lincomb(vec![(2.0, e.clone())]).dims(), &[0, 3]);
        assert_eq!(L::dot(e.clone(), e), 0.0);
    }

    #[test]
    fn a_graph_is_compiled_once_and_reused_for_other_sizes() {
        let run = |n: usize, seed| {
            let (a, b) = (random(&[n], seed), random(&[n], seed + 1));
            L::lincomb(vec![
                (0.5, L::from_host(&a, &Cpu)),
                (0.25, L::from_host(&b, &Cpu)),
                (1.0, L::from_host(&b, &Cpu)),
            ])
        };
        run(4, 0);
        let before = compilations();
        let out = run(1000, 5);
        run(4, 9);
        assert_eq!(compilations(), before, "no new graph for new sizes");
        assert_eq!(out.len(), 1000);
    }
}
