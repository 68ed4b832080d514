//! One-pass kernels for [`Burn`](crate::Burn) on burn's flex CPU device.
//!
//! burn has no fused linear combination and no fused product-and-sum: on flex, `Σ c_k x_k` as
//! burn operations is `2m - 1` passes, each allocating its result, and `gram` is three products
//! and three reductions. Here the same results are computed by reading every input once, in
//! place in flex's own storage (no copy), split into fixed chunks over rayon's threads:
//!
//! - [`lincomb`] performs burn's operations in burn's order on every element
//!   (`((c_0 x_0 + c_1 x_1) + c_2 x_2) + …` in `f32`, the coefficients rounded to `f32`), so
//!   it gives the bits of the unfused form, e.g. of the in-graph mix. It writes into the first
//!   term's buffer when no other tensor shares it.
//! - [`gram`] and [`dot`] sum `f32` products in `f64`, per chunk and then over the chunks in
//!   order: the result does not depend on the number of threads.
//!
//! Every kernel returns `None` for a tensor it does not cover (another device, a tensor
//! inside an autodiff graph, another dtype, a strided view); the caller then uses burn's
//! operations.

use burn::backend::Flex;
use burn::backend::flex::FlexTensor;
use burn::tensor::{DType, Tensor, TensorData};
use rayon::prelude::*;
use subspace_core::Gram;

/// Elements per chunk: a chunk of a few terms stays in the L1/L2 caches, and chunks are the
/// unit of work of rayon's threads.
const CHUNK: usize = 1 << 14;

/// The flex primitive of `tensor`, if it is a contiguous `f32` flex tensor outside autodiff.
fn primitive(tensor: Tensor<1>) -> Option<FlexTensor> {
    let p = tensor.try_into_primitive::<Flex>().ok()?;
    (p.dtype() == DType::F32 && p.layout().contiguous_offsets().is_some()).then_some(p)
}

/// The element range of a primitive accepted by [`primitive`] in its storage.
fn range(p: &FlexTensor) -> std::ops::Range<usize> {
    let (start, end) = p
        .layout()
        .contiguous_offsets()
        .unwrap_or_else(|| unreachable!("`primitive` admits contiguous tensors only"));
    start..end
}

/// The elements of a primitive accepted by [`primitive`].
fn elements(p: &FlexTensor) -> &[f32] {
    &p.storage::<f32>()[range(p)]
}

/// `Σ_k c_k x_k` over non-empty `terms` of one length, in one pass; the terms back if a
/// tensor is not covered.
pub(crate) fn lincomb(terms: Vec<(f64, Tensor<1>)>) -> Result<Tensor<1>, Vec<(f64, Tensor<1>)>> {
    let lengths: Option<Vec<usize>> = terms
        .iter()
        .map(|(_, x)| primitive(x.clone()).map(|p| p.layout().num_elements()))
        .collect();
    match lengths {
        Some(l) if !l.is_empty() && l.iter().all(|&n| n == l[0]) => {}
        _ => return Err(terms),
    }
    let (c, mut inputs): (Vec<f32>, Vec<FlexTensor>) = terms
        .into_iter()
        .map(|(c, x)| {
            let p = primitive(x).unwrap_or_else(|| unreachable!("checked above"));
            (c as f32, p)
        })
        .unzip();
    let mut first = inputs.remove(0);
    let rest: Vec<&[f32]> = inputs.iter().map(elements).collect();
    // acc = c_0 x_0 on entry; adds c_k x_k for k ≥ 1, for the chunk starting at `start`.
    let add_rest = |acc: &mut [f32], start: usize| {
        for (x, &ck) in rest.iter().zip(&c[1..]) {
            let x = &x[start..start + acc.len()];
            acc.iter_mut().zip(x).for_each(|(a, &x)| *a += x * ck);
        }
    };
    let span = range(&first);
    let out = match first.try_storage_mut::<f32>() {
        Some(storage) => {
            storage[span]
                .par_chunks_mut(CHUNK)
                .enumerate()
                .for_each(|(i, acc)| {
                    acc.iter_mut().for_each(|a| *a *= c[0]);
                    add_rest(acc, i * CHUNK);
                });
            first
        }
        None => {
            let x0 = elements(&first);
            let mut out = vec![0.0f32; x0.len()];
            out.par_chunks_mut(CHUNK).enumerate().for_each(|(i, acc)| {
                let start = i * CHUNK;
                let x0 = &x0[start..start + acc.len()];
                acc.iter_mut().zip(x0).for_each(|(a, &x)| *a = x * c[0]);
                add_rest(acc, start);
            });
            let n = out.len();
            FlexTensor::from_data(TensorData::new(out, [n]))
        }
    };
    Ok(Tensor::from_primitive::<Flex>(out))
}

/// `<a, b>` in one pass, summed in `f64`.
pub(crate) fn dot(a: &Tensor<1>, b: &Tensor<1>) -> Option<f64> {
    Some(sums(a, b, |a, b| [(a, b)])?[0])
}

/// `<a, b>`, `|a|²` and `|b|²` in one pass over `a` and `b`, summed in `f64`.
pub(crate) fn gram(a: &Tensor<1>, b: &Tensor<1>) -> Option<Gram<f64>> {
    let [ab, aa, bb] = sums(a, b, |a, b| [(a, b), (a, a), (b, b)])?;
    Some(Gram { ab, aa, bb })
}

/// Independent partial sums per chunk: enough to keep the adds pipelined and vectorised
/// (one chain of dependent `f64` adds would bound the loop by the add latency).
const LANES: usize = 8;

/// Elements per block of a chunk: every product of [`sums`] sweeps one block while it is in
/// the L1 cache. One sweep per product vectorises well; one sweep computing all products per
/// element does not (LLVM interleaves the sums and spills): 815 µs instead of 674 µs for
/// `gram` of 10⁶ elements on one thread.
const BLOCK: usize = 1 << 10;

/// `lanes[l] += Σ x_e y_e` over the elements `e ≡ l (mod LANES)`, in order.
fn add_lane_products(lanes: &mut [f64; LANES], x: &[f32], y: &[f32]) {
    let (x_blocks, x_tail) = x.as_chunks::<LANES>();
    let (y_blocks, y_tail) = y.as_chunks::<LANES>();
    for (x, y) in x_blocks.iter().zip(y_blocks) {
        for l in 0..LANES {
            lanes[l] += f64::from(x[l]) * f64::from(y[l]);
        }
    }
    for (lane, (&x, &y)) in lanes.iter_mut().zip(x_tail.iter().zip(y_tail)) {
        *lane += f64::from(x) * f64::from(y);
    }
}

/// `K` sums of products `<x_k, y_k>` of `a`'s and `b`'s elements (`pairs` names the factors
/// of each, e.g. `(a, a)` for `|a|²`), in `f64`: per chunk in [`LANES`] partial sums, then
/// over the chunks in order. Every input is read from memory once.
fn sums<const K: usize>(
    a: &Tensor<1>,
    b: &Tensor<1>,
    pairs: impl for<'x> Fn(&'x [f32], &'x [f32]) -> [(&'x [f32], &'x [f32]); K] + Sync,
) -> Option<[f64; K]> {
    let (pa, pb) = (primitive(a.clone())?, primitive(b.clone())?);
    let (a, b) = (elements(&pa), elements(&pb));
    if a.len() != b.len() {
        return None;
    }
    let chunk_sums = |a: &[f32], b: &[f32]| {
        let mut lanes = [[0.0f64; LANES]; K];
        for (a, b) in a.chunks(BLOCK).zip(b.chunks(BLOCK)) {
            for (lanes, (x, y)) in lanes.iter_mut().zip(pairs(a, b)) {
                add_lane_products(lanes, x, y);
            }
        }
        lanes.map(|lane| lane.iter().sum::<f64>())
    };
    let partials: Vec<[f64; K]> = a
        .par_chunks(CHUNK)
        .zip(b.par_chunks(CHUNK))
        .map(|(a, b)| chunk_sums(a, b))
        .collect();
    Some(partials.iter().fold([0.0; K], |mut total, part| {
        for (s, v) in total.iter_mut().zip(part) {
            *s += v;
        }
        total
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

    /// Three chunks and a partial one.
    const N: usize = 3 * CHUNK + 17;

    fn vector(seed: usize) -> Vec<f32> {
        (0..N)
            .map(|i| ((i * 7919 + seed * 104_729) % 2003) as f32 / 1001.0 - 1.0)
            .collect()
    }

    fn tensor(values: Vec<f32>, device: &Device) -> Tensor<1> {
        Tensor::from_data(TensorData::new(values, [N]), device)
    }

    fn bits(t: Tensor<1>) -> Vec<u32> {
        let values: Vec<f32> = t.into_data().try_into_vec().unwrap();
        values.into_iter().map(f32::to_bits).collect()
    }

    #[test]
    fn lincomb_gives_the_bits_of_burn_operations_without_touching_shared_inputs() {
        let device = Device::flex();
        let c = [0.3, -1.7, 2.0 / 3.0];
        for m in 1..=3 {
            let terms: Vec<(f64, Tensor<1>)> =
                (0..m).map(|k| (c[k], tensor(vector(k), &device))).collect();
            let unfused = bits(crate::backend::lincomb(terms.clone()));

            // Every input shared: a new buffer, and the inputs keep their values.
            let shared = lincomb(terms.clone()).unwrap();
            assert_eq!(bits(shared), unfused, "m = {m}, shared inputs");
            for (k, (_, x)) in terms.iter().enumerate() {
                assert_eq!(bits(x.clone()), bits(tensor(vector(k), &device)));
            }

            // The first input owned by the call: written in place, same bits.
            let mut owned = terms;
            owned[0].1 = tensor(vector(0), &device);
            assert_eq!(bits(lincomb(owned).unwrap()), unfused, "m = {m}, owned");
        }
    }

    #[test]
    fn gram_and_dot_sum_products_in_f64() {
        let device = Device::flex();
        let (a, b) = (vector(1), vector(2));
        let exact = |x: &[f32], y: &[f32]| -> f64 {
            x.iter()
                .zip(y)
                .map(|(&x, &y)| f64::from(x) * f64::from(y))
                .sum()
        };
        let (ta, tb) = (tensor(a.clone(), &device), tensor(b.clone(), &device));
        let g = gram(&ta, &tb).unwrap();
        for (got, want) in [
            (g.ab, exact(&a, &b)),
            (g.aa, exact(&a, &a)),
            (g.bb, exact(&b, &b)),
            (dot(&ta, &tb).unwrap(), exact(&a, &b)),
        ] {
            assert!((got - want).abs() <= 1e-12 * want.abs(), "{got} vs {want}");
        }
    }

    #[test]
    fn tensors_in_an_autodiff_graph_or_of_other_lengths_are_left_to_burn() {
        let device = Device::flex();
        let tracked = tensor(vector(0), &device.clone().autodiff()).require_grad();
        let plain = tensor(vector(1), &device);
        assert!(lincomb(vec![(1.0, tracked.clone()), (1.0, plain.clone())]).is_err());
        assert!(gram(&tracked, &plain).is_none());
        let short = Tensor::<1>::from_data(TensorData::new(vec![1.0f32; 5], [5]), &device);
        assert!(lincomb(vec![(1.0, plain.clone()), (1.0, short.clone())]).is_err());
        assert!(dot(&plain, &short).is_none());
    }
}
