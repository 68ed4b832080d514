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
use subspace_core::{Gram, SgdConfig, SgdGroup, SgdGroupUpdate, Term};

/// Elements per chunk: a chunk of a few terms stays in the L1/L2 caches, and chunks are the
/// unit of work of rayon's threads.
const CHUNK: usize = 1 << 14;

/// The flex primitive of `tensor`, if it is a contiguous `f32` flex tensor outside autodiff.
fn primitive(tensor: Tensor<1>) -> Option<FlexTensor> {
    let p = tensor.try_into_primitive::<Flex>().ok()?;
    (p.dtype() == DType::F32 && p.layout().contiguous_offsets().is_some()).then_some(p)
}

/// The number of elements every one of `tensors` has, if there is at least one and
/// [`primitive`] accepts them all.
fn common_length<'a>(tensors: impl IntoIterator<Item = &'a Tensor<1>>) -> Option<usize> {
    let mut lengths = tensors
        .into_iter()
        .map(|x| primitive(x.clone()).map(|p| p.layout().num_elements()));
    let first = lengths.next()??;
    lengths.try_fold(first, |n, length| (length? == n).then_some(n))
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

/// The terms of a linear combination.
type Terms = Vec<(f64, Tensor<1>)>;

/// `Σ_k c_k x_k` over non-empty `terms` of one length, in one pass; the terms back if a
/// tensor is not covered.
pub(crate) fn lincomb(terms: Terms) -> Result<Tensor<1>, Terms> {
    lincomb_with(terms, |_| ()).map(|(sum, _)| sum)
}

/// `Σ_k c_k x_k` as [`lincomb`] and the [`gram`] of terms `i` and `j`'s tensors, with the
/// same bits, reading every chunk of the tensors once for both.
pub(crate) fn lincomb_gram(
    terms: Terms,
    (i, j): (usize, usize),
) -> Result<(Tensor<1>, Gram<f64>), Terms> {
    let (sum, partials) = lincomb_with(terms, |x| chunk_sums(x[i], x[j], gram_products))?;
    let [ab, aa, bb] = total(&partials);
    Ok((sum, Gram { ab, aa, bb }))
}

/// [`lincomb`], calling `before` with every chunk of the inputs (in term order) before the
/// chunk of the result is written; its results in chunk order.
fn lincomb_with<R: Send>(
    terms: Terms,
    before: impl Fn(&[&[f32]]) -> R + Sync,
) -> Result<(Tensor<1>, Vec<R>), Terms> {
    if common_length(terms.iter().map(|(_, x)| x)).is_none() {
        return Err(terms);
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
    // The chunk starting at `start` of every input, `x0` being the first's.
    let chunks = |x0: &[f32], start: usize| -> R {
        let end = start + x0.len();
        let all: Vec<&[f32]> = std::iter::once(x0)
            .chain(rest.iter().map(|x| &x[start..end]))
            .collect();
        before(&all)
    };
    // acc = c_0 x_0 on entry; adds c_k x_k for k ≥ 1, for the chunk starting at `start`.
    let add_rest = |acc: &mut [f32], start: usize| {
        for (x, &ck) in rest.iter().zip(&c[1..]) {
            let x = &x[start..start + acc.len()];
            acc.iter_mut().zip(x).for_each(|(a, &x)| *a += x * ck);
        }
    };
    let span = range(&first);
    let (out, results) = match first.try_storage_mut::<f32>() {
        Some(storage) => {
            let results = storage[span]
                .par_chunks_mut(CHUNK)
                .enumerate()
                .map(|(i, acc)| {
                    let result = chunks(acc, i * CHUNK);
                    acc.iter_mut().for_each(|a| *a *= c[0]);
                    add_rest(acc, i * CHUNK);
                    result
                })
                .collect();
            (first, results)
        }
        None => {
            let x0 = elements(&first);
            let mut out = vec![0.0f32; x0.len()];
            let results = out
                .par_chunks_mut(CHUNK)
                .enumerate()
                .map(|(i, acc)| {
                    let start = i * CHUNK;
                    let x0 = &x0[start..start + acc.len()];
                    let result = chunks(x0, start);
                    acc.iter_mut().zip(x0).for_each(|(a, &x)| *a = x * c[0]);
                    add_rest(acc, start);
                    result
                })
                .collect();
            let n = out.len();
            (FlexTensor::from_data(TensorData::new(out, [n])), results)
        }
    };
    Ok((Tensor::from_primitive::<Flex>(out), results))
}

/// `<a, b>` in one pass, summed in `f64`.
pub(crate) fn dot(a: &Tensor<1>, b: &Tensor<1>) -> Option<f64> {
    Some(sums(a, b, |a, b| [(a, b)])?[0])
}

/// `<a, b>`, `|a|²` and `|b|²` in one pass over `a` and `b`, summed in `f64`.
pub(crate) fn gram(a: &Tensor<1>, b: &Tensor<1>) -> Option<Gram<f64>> {
    let [ab, aa, bb] = sums(a, b, gram_products)?;
    Some(Gram { ab, aa, bb })
}

/// The factors of the Gram entries `<a, b>`, `|a|²`, `|b|²`.
fn gram_products<'x>(a: &'x [f32], b: &'x [f32]) -> [(&'x [f32], &'x [f32]); 3] {
    [(a, b), (a, a), (b, b)]
}

/// Independent partial sums per chunk: enough to keep the adds pipelined and vectorised
/// (one chain of dependent `f64` adds would bound the loop by the add latency).
const LANES: usize = 8;

/// Elements per block of a chunk: every product of [`chunk_sums`] sweeps one block while it
/// is in the L1 cache. One sweep per product vectorises well; one sweep computing all products
/// per element does not (LLVM interleaves the sums and spills): 815 µs instead of 674 µs for
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

/// `K` sums of products `<x_k, y_k>` of one chunk of `a` and `b` (`pairs` names the factors
/// of each, e.g. `(a, a)` for `|a|²`), in `f64`, in [`LANES`] partial sums.
fn chunk_sums<const K: usize>(
    a: &[f32],
    b: &[f32],
    pairs: impl for<'x> Fn(&'x [f32], &'x [f32]) -> [(&'x [f32], &'x [f32]); K],
) -> [f64; K] {
    let mut lanes = [[0.0f64; LANES]; K];
    for (a, b) in a.chunks(BLOCK).zip(b.chunks(BLOCK)) {
        for (lanes, (x, y)) in lanes.iter_mut().zip(pairs(a, b)) {
            add_lane_products(lanes, x, y);
        }
    }
    lanes.map(|lane| lane.iter().sum::<f64>())
}

/// The sums over the chunks, in order.
fn total<const K: usize>(partials: &[[f64; K]]) -> [f64; K] {
    partials.iter().fold([0.0; K], |mut total, part| {
        for (s, v) in total.iter_mut().zip(part) {
            *s += v;
        }
        total
    })
}

/// `K` sums of products of `a`'s and `b`'s elements ([`chunk_sums`] per chunk, then over the
/// chunks in order): the result does not depend on the number of threads. Every input is read
/// from memory once.
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
    let partials: Vec<[f64; K]> = a
        .par_chunks(CHUNK)
        .zip(b.par_chunks(CHUNK))
        .map(|(a, b)| chunk_sums(a, b, &pairs))
        .collect();
    Some(total(&partials))
}

/// A tensor accepted by [`primitive`] whose storage no other handle shares: `p` itself if so,
/// else a copy of its elements.
fn owned(mut p: FlexTensor) -> FlexTensor {
    if p.try_storage_mut::<f32>().is_some() {
        return p;
    }
    let values = elements(&p).to_vec();
    let n = values.len();
    FlexTensor::from_data(TensorData::new(values, [n]))
}

/// The elements of a tensor from [`owned`], to write.
fn elements_mut(p: &mut FlexTensor) -> &mut [f32] {
    let span = range(p);
    let storage = p
        .try_storage_mut::<f32>()
        .unwrap_or_else(|| unreachable!("`owned` tensors have storage of their own"));
    &mut storage[span]
}

/// The scalars of one group's SGD step, rounded to `f32` as burn rounds them.
struct SgdPlan {
    /// Per copy, the terms of `G_k` ([`CopyGradient::terms`]); none for a copy without a
    /// gradient, which keeps its weight and velocity.
    terms: Vec<Vec<(f32, Term)>>,
    /// `λ`, if not 0.
    weight_decay: Option<f32>,
    /// `(1 − τ, μ, nesterov)`, with momentum.
    momentum: Option<(f32, f32, bool)>,
    /// Per copy, whether its velocity starts at this step.
    first: Vec<bool>,
    /// `−η`.
    neg_lr: f32,
}

/// The number of elements of every tensor of `group`, if [`sgd_group`] covers them all.
pub(crate) fn sgd_covers(group: &SgdGroup<Tensor<1>>) -> Option<usize> {
    let velocities = group.velocities.iter().flatten();
    common_length(group.weights.iter().chain(velocities).chain(&group.grad))
}

/// The chunks of the weights and of the velocities one rayon task updates.
type ChunkTask<'a> = (Vec<&'a mut [f32]>, Vec<Option<&'a mut [f32]>>);

/// One SGD step of every copy of a group of `n`-element tensors ([`sgd_covers`]) in one pass
/// over `g`, the copies and their velocities (core's `sgd_step`): per element, the `f32`
/// operations of core's `sgd_group_by_lincomb` in its order, so the same bits. Weights and
/// velocities are written in place where no other handle shares them.
pub(crate) fn sgd_group(
    group: SgdGroup<Tensor<1>>,
    n: usize,
    lr: f64,
    config: &SgdConfig,
) -> SgdGroupUpdate<Tensor<1>> {
    let covered = |x: Tensor<1>| {
        primitive(x).unwrap_or_else(|| unreachable!("callers check with `sgd_covers`"))
    };
    let SgdGroup {
        weights,
        velocities,
        grad,
        copies,
    } = group;
    let grad = grad.map(covered);
    let plan = SgdPlan {
        terms: copies
            .iter()
            .enumerate()
            .map(|(k, c)| {
                c.terms(k, grad.is_some())
                    .into_iter()
                    .map(|(c, t)| (c as f32, t))
                    .collect()
            })
            .collect(),
        weight_decay: (config.weight_decay != 0.0).then_some(config.weight_decay as f32),
        momentum: config
            .momentum
            .map(|m| ((1.0 - m.dampening) as f32, m.momentum as f32, m.nesterov)),
        first: velocities.iter().map(Option::is_none).collect(),
        neg_lr: -lr as f32,
    };
    let mut weights: Vec<FlexTensor> = weights.into_iter().map(|w| owned(covered(w))).collect();
    let mut velocities: Vec<Option<FlexTensor>> = velocities
        .into_iter()
        .zip(&plan.terms)
        .map(|(v, terms)| match (v, plan.momentum) {
            (Some(v), Some(_)) => Some(owned(covered(v))),
            (None, Some(_)) if !terms.is_empty() => {
                Some(FlexTensor::from_data(TensorData::new(vec![0.0f32; n], [n])))
            }
            _ => None,
        })
        .collect();

    let g = grad.as_ref().map(elements);
    let mut w_chunks: Vec<_> = weights
        .iter_mut()
        .map(|w| elements_mut(w).chunks_mut(CHUNK))
        .collect();
    let mut v_chunks: Vec<_> = velocities
        .iter_mut()
        .map(|v| v.as_mut().map(|v| elements_mut(v).chunks_mut(CHUNK)))
        .collect();
    let tasks: Vec<ChunkTask<'_>> = (0..n.div_ceil(CHUNK))
        .map(|_| {
            (
                w_chunks.iter_mut().map(next_chunk).collect(),
                v_chunks
                    .iter_mut()
                    .map(|v| v.as_mut().map(next_chunk))
                    .collect(),
            )
        })
        .collect();
    tasks
        .into_par_iter()
        .enumerate()
        .for_each(|(i, (mut w, mut v))| {
            let start = i * CHUNK;
            let g = g.map(|g| &g[start..start + w[0].len()]);
            sgd_chunk(&plan, g, &mut w, &mut v);
        });

    let tensor = |p: FlexTensor| Tensor::from_primitive::<Flex>(p);
    SgdGroupUpdate {
        weights: weights.into_iter().map(tensor).collect(),
        velocities: velocities.into_iter().map(|v| v.map(tensor)).collect(),
    }
}

/// The next chunk of a tensor with as many chunks as the first.
fn next_chunk<'a>(chunks: &mut std::slice::ChunksMut<'a, f32>) -> &'a mut [f32] {
    chunks
        .next()
        .unwrap_or_else(|| unreachable!("every tensor of a group has n elements"))
}

/// [`sgd_group`] on one chunk, a [`BLOCK`] at a time: every `G_k` of a block from the old
/// weights first, then the velocities and weights.
fn sgd_chunk(
    plan: &SgdPlan,
    g: Option<&[f32]>,
    w: &mut [&mut [f32]],
    v: &mut [Option<&mut [f32]>],
) {
    let m = w.len();
    let mut gk = vec![0.0f32; m * BLOCK];
    for start in (0..w[0].len()).step_by(BLOCK) {
        let end = (start + BLOCK).min(w[0].len());
        for (k, terms) in plan.terms.iter().enumerate() {
            let Some(&(c0, t0)) = terms.first() else {
                continue;
            };
            let out = &mut gk[k * BLOCK..k * BLOCK + end - start];
            let source = |term: Term| match (term, g) {
                (Term::Grad, Some(g)) => &g[start..end],
                (Term::Copy(j), _) => &w[j][start..end],
                (Term::Grad, None) => unreachable!("`terms` names g only if there is one"),
            };
            out.iter_mut()
                .zip(source(t0))
                .for_each(|(o, &x)| *o = x * c0);
            for &(c, t) in &terms[1..] {
                out.iter_mut()
                    .zip(source(t))
                    .for_each(|(o, &x)| *o += x * c);
            }
            if let Some(wd) = plan.weight_decay {
                out.iter_mut()
                    .zip(&w[k][start..end])
                    .for_each(|(o, &x)| *o += x * wd);
            }
        }
        for (k, (w, v)) in w.iter_mut().zip(v.iter_mut()).enumerate() {
            if plan.terms[k].is_empty() {
                continue;
            }
            let gk = &gk[k * BLOCK..k * BLOCK + end - start];
            let w = &mut w[start..end];
            match (v, plan.momentum) {
                (Some(v), Some((damp, mu, nesterov))) => {
                    let v = &mut v[start..end];
                    // One loop per case, so that each vectorises.
                    if plan.first[k] {
                        v.copy_from_slice(gk);
                    } else {
                        v.iter_mut()
                            .zip(gk)
                            .for_each(|(v, &g)| *v = g * damp + *v * mu);
                    }
                    if nesterov {
                        w.iter_mut()
                            .zip(v.iter().zip(gk))
                            .for_each(|(w, (&v, &g))| *w += (v * mu + g) * plan.neg_lr);
                    } else {
                        w.iter_mut()
                            .zip(v.iter())
                            .for_each(|(w, &v)| *w += v * plan.neg_lr);
                    }
                }
                _ => w
                    .iter_mut()
                    .zip(gk)
                    .for_each(|(w, &g)| *w += g * plan.neg_lr),
            }
        }
    }
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
    fn lincomb_gram_gives_the_bits_of_lincomb_and_gram() {
        let device = Device::flex();
        let c = [0.3, -1.7, 2.0 / 3.0];
        let terms: Vec<(f64, Tensor<1>)> =
            (0..3).map(|k| (c[k], tensor(vector(k), &device))).collect();
        let sum = bits(lincomb(terms.clone()).unwrap());
        for pair in [(0, 1), (2, 0), (1, 2)] {
            let gram = gram(&terms[pair.0].1, &terms[pair.1].1).unwrap();
            // Shared inputs, then the first input owned and written in place: the sums must
            // see its values from before the write.
            let mut owned = terms.clone();
            owned[0].1 = tensor(vector(0), &device);
            for inputs in [terms.clone(), owned] {
                let (s, g) = lincomb_gram(inputs, pair).unwrap();
                assert_eq!(bits(s), sum, "{pair:?}");
                assert_eq!([g.ab, g.aa, g.bb], [gram.ab, gram.aa, gram.bb], "{pair:?}");
            }
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
