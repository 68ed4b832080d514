//! The mix `w(p) = Σ_i c_i(p) w_i` (SPEC.md §2): against the reference, exact at vertices,
//! coefficients summing to one, line = Bezier(1) = simplex(2), and determinism.

use proptest::prelude::*;
use subspace_core::{Backend, Coefficients, HostTensor, Point, Region, Shape, mix, scatter};
use subspace_reference::{Cpu, Reference};

use crate::compare::Comparisons;
use crate::data::{RegionCase, TensorSpec, download, download_all, widen};
use crate::harness::{SuiteConfig, run_property};
use crate::outcome::{CaseError, Failure, Report};
use crate::strategies::{alpha, region, region_case, shape, shape_and_point, tensor};
use crate::tolerance::Tolerance;

/// `Region::mix` of `B` equals the reference's within [`Tolerance::F32`], element by element
/// with magnitude `Σ_i |c_i w_ik|`, for random shapes, points (shared and layerwise), groups
/// and dims.
pub fn check_mix<B: Backend>(device: &B::Device, config: &SuiteConfig) -> Result<Report, Failure> {
    run_property(
        "mix vs reference",
        &B::name(device),
        config,
        region_case(shape().boxed()),
        |case: &RegionCase| {
            let copies = case.region.host();
            let actual = case
                .region
                .region::<B>(&copies, device)?
                .mix(&case.points)?;
            let expected = case
                .region
                .region::<Reference>(&copies, &Cpu)?
                .mix(&case.points)?;
            let mut cmp = Comparisons::new();
            for (g, ((spec, host), (a, e))) in case
                .region
                .groups
                .iter()
                .zip(&copies)
                .zip(actual.into_iter().zip(expected))
                .enumerate()
            {
                cmp.require(B::dims(&a) == spec.dims, || {
                    format!(
                        "mix of group {g} has dims {:?}, expected {:?}",
                        B::dims(&a),
                        spec.dims
                    )
                });
                let c = case
                    .region
                    .shape
                    .coefficients(case.points.for_layer(spec.layer)?)?;
                let magnitude = mix_magnitude(&c, host);
                let a = download::<B>(a)?;
                let e = widen(&download::<Reference>(e)?);
                cmp.tensor(
                    Tolerance::F32,
                    &format!("mix of group {g}"),
                    &a,
                    &e,
                    &magnitude,
                );
            }
            cmp.finish()
        },
    )
}

/// The magnitude `Σ_i |c_i w_ik|` of every element `k` of the mix of `copies`.
pub(crate) fn mix_magnitude(c: &Coefficients, copies: &[HostTensor]) -> Vec<f64> {
    let elements = copies.first().map_or(0, HostTensor::len);
    (0..elements)
        .map(|k| {
            c.as_slice()
                .iter()
                .zip(copies)
                .map(|(ci, w)| (ci * f64::from(w.data()[k])).abs())
                .sum()
        })
        .collect()
}

/// At every vertex of a region (line ends, Bezier ends, simplex vertices) the mix returns that
/// copy bit for bit ([`Tolerance::EXACT`]; signed zeros compare equal).
pub fn check_vertices_exact<B: Backend>(
    device: &B::Device,
    config: &SuiteConfig,
) -> Result<Report, Failure> {
    run_property(
        "exact at vertices",
        &B::name(device),
        config,
        region(shape().boxed()),
        |spec| {
            let copies = spec.host();
            let region = spec.region::<B>(&copies, device)?;
            let mut cmp = Comparisons::new();
            let mut vertices = 0;
            for i in 0..spec.shape.copies() {
                let Some(vertex) = spec.shape.vertex(i) else {
                    continue;
                };
                vertices += 1;
                for (g, (w, host)) in download_all::<B>(region.at(&vertex)?)?
                    .iter()
                    .zip(&copies)
                    .enumerate()
                {
                    let expected = widen(host[i].data());
                    let zero = vec![0.0; expected.len()];
                    let what = format!("group {g} at vertex {vertex} (copy {i})");
                    cmp.tensor(Tolerance::EXACT, &what, w, &expected, &zero);
                }
            }
            cmp.require(vertices >= 1, || format!("{} has no vertex", spec.shape));
            cmp.finish()
        },
    )
}

/// Coefficients are non-negative and sum to one ([`Tolerance::F64`]), and mixing `m` copies
/// of one tensor `x` gives `x` back ([`Tolerance::F32`], magnitude `Σ_i c_i |x_k|`).
pub fn check_partition_of_unity<B: Backend>(
    device: &B::Device,
    config: &SuiteConfig,
) -> Result<Report, Failure> {
    run_property(
        "coefficients sum to 1",
        &B::name(device),
        config,
        (shape_and_point(), tensor()),
        |((shape, point), x): &((Shape, Point), TensorSpec)| {
            let c = shape.coefficients(point)?;
            let mut cmp = Comparisons::new();
            cmp.require(c.len() == shape.copies(), || {
                format!("{} coefficients for {} copies", c.len(), shape.copies())
            });
            cmp.require(c.as_slice().iter().all(|&ci| ci >= 0.0), || {
                format!("negative coefficient in {:?}", c.as_slice())
            });
            let sum: f64 = c.as_slice().iter().sum();
            cmp.value(Tolerance::F64, || "Σ c_i".into(), sum, 1.0, 0.0);
            let host = x.host();
            let copies = vec![B::from_host(&host, device); shape.copies()];
            let w = download::<B>(mix::<B>(&copies, &c)?)?;
            let expected = widen(host.data());
            let magnitude: Vec<f64> = expected.iter().map(|x| sum * x.abs()).collect();
            cmp.tensor(
                Tolerance::F32,
                "mix of equal copies",
                &w,
                &expected,
                &magnitude,
            );
            cmp.finish()
        },
    )
}

/// A line, a Bezier curve of degree 1 and a simplex of 2 vertices are one shape (SPEC.md §2):
/// at every `a` the three give bit-equal coefficients, the line's are `(1 − a, a)` within
/// [`Tolerance::F64`], and on `B` each shape's `mix` and `scatter` equal the `f64` host values
/// `(1 − a) x_0 + a x_1` and `c_i g` with `c = (1 − a, a)` within [`Tolerance::F32`]
/// (magnitudes `Σ_i |c_i x_ik|` and `|c_i g_k|`).
pub fn check_shape_agreement<B: Backend>(
    device: &B::Device,
    config: &SuiteConfig,
) -> Result<Report, Failure> {
    run_property(
        "line = Bezier(1) = simplex(2)",
        &B::name(device),
        config,
        (alpha(), tensor(), any::<u64>(), any::<u64>()),
        |(a, x, seed0, seed1): &(f64, TensorSpec, u64, u64)| {
            let curve = Point::curve(*a)?;
            let simplex = Point::simplex(vec![1.0 - a, *a])?;
            let cases = [
                (Shape::Line, &curve),
                (Shape::bezier(1)?, &curve),
                (Shape::simplex(2)?, &simplex),
            ];
            let host: Vec<HostTensor> = [seed0, seed1]
                .iter()
                .map(|&&seed| {
                    TensorSpec {
                        dims: x.dims.clone(),
                        seed,
                    }
                    .host()
                })
                .collect();
            let copies: Vec<B::Tensor> = host.iter().map(|t| B::from_host(t, device)).collect();
            let grad = x.host();
            let want_c = [1.0 - a, *a];
            let (want_mix, mix_mag): (Vec<f64>, Vec<f64>) = host[0]
                .data()
                .iter()
                .zip(host[1].data())
                .map(|(&x0, &x1)| {
                    let (t0, t1) = (want_c[0] * f64::from(x0), want_c[1] * f64::from(x1));
                    (t0 + t1, t0.abs() + t1.abs())
                })
                .unzip();
            let mut cmp = Comparisons::new();
            let line = Shape::Line.coefficients(&curve)?;
            cmp.require(line.len() == 2, || {
                format!("{} line coefficients", line.len())
            });
            for (i, (&got, want)) in line.as_slice().iter().zip(want_c).enumerate() {
                cmp.value(Tolerance::F64, || format!("line c_{i}"), got, want, 1.0);
            }
            for (shape, point) in cases {
                let c = shape.coefficients(point)?;
                cmp.require(c == line, || {
                    format!(
                        "{shape} coefficients {:?} differ from the line's {:?}",
                        c.as_slice(),
                        line.as_slice()
                    )
                });
                let mixed = download::<B>(mix::<B>(&copies, &c)?)?;
                cmp.tensor(
                    Tolerance::F32,
                    &format!("{shape} mix"),
                    &mixed,
                    &want_mix,
                    &mix_mag,
                );
                let scattered = download_all::<B>(scatter::<B>(B::from_host(&grad, device), &c))?;
                cmp.require(scattered.len() == 2, || {
                    format!("{shape} scatter to {} copies", scattered.len())
                });
                for (i, (s, ci)) in scattered.iter().zip(want_c).enumerate() {
                    let want: Vec<f64> = grad.data().iter().map(|&g| ci * f64::from(g)).collect();
                    let magnitude: Vec<f64> = want.iter().map(|w| w.abs()).collect();
                    let what = format!("{shape} scatter to copy {i}");
                    cmp.tensor(Tolerance::F32, &what, s, &want, &magnitude);
                }
            }
            cmp.finish()
        },
    )
}

/// The same inputs give bit-identical outputs: the mix, and the dot products behind the
/// regularizer, computed twice.
pub fn check_determinism<B: Backend>(
    device: &B::Device,
    config: &SuiteConfig,
) -> Result<Report, Failure> {
    run_property(
        "deterministic",
        &B::name(device),
        config,
        region_case(shape().boxed()),
        |case: &RegionCase| {
            let copies = case.region.host();
            let region = case.region.region::<B>(&copies, device)?;
            let mut cmp = Comparisons::new();
            let first = download_all::<B>(region.mix(&case.points)?)?;
            let second = download_all::<B>(region.mix(&case.points)?)?;
            for (g, (a, b)) in first.iter().zip(&second).enumerate() {
                let zero = vec![0.0; a.len()];
                cmp.tensor(
                    Tolerance::EXACT,
                    &format!("repeated mix of group {g}"),
                    b,
                    &widen(a),
                    &zero,
                );
            }
            let dots = |region: &Region<B>| -> Result<Vec<f64>, CaseError> {
                let scalars = region
                    .groups()
                    .iter()
                    .map(|g| B::dot(g.copies[0].clone(), g.copies[g.copies.len() - 1].clone()))
                    .collect();
                Ok(B::to_host(scalars)?)
            };
            let (d1, d2) = (dots(&region)?, dots(&region)?);
            for (g, (x, y)) in d1.iter().zip(&d2).enumerate() {
                cmp.value(
                    Tolerance::EXACT,
                    || format!("repeated dot of group {g}"),
                    *y,
                    *x,
                    0.0,
                );
            }
            cmp.finish()
        },
    )
}
