use super::logits::{Logits, softmax};
use crate::backend::Backend;
use crate::backend::scalars_to_host;
use crate::error::{Error, Result, finite};
use crate::region::{Group, Region};
use crate::regularizer::{Pair, gram_sums};

fn check_same(operation: &'static str, a: &Logits, b: &Logits) -> Result<()> {
    if a.rows() != b.rows() || a.classes() != b.classes() {
        return Err(Error::DimsMismatch {
            operation,
            what: "second member's logits".into(),
            expected: vec![a.rows(), a.classes()],
            found: vec![b.rows(), b.classes()],
        });
    }
    a.check_nonempty(operation)
}

/// Fraction of examples on which the two members predict different classes.
pub fn disagreement(a: &Logits, b: &Logits) -> Result<f64> {
    check_same("disagreement", a, b)?;
    let differ = (0..a.rows())
        .filter(|&r| a.argmax(r) != b.argmax(r))
        .count();
    Ok(differ as f64 / a.rows() as f64)
}

/// Mean total-variation distance `(1/N) Σ_n ½ Σ_k |p_nk − q_nk|` between softmax outputs.
pub fn mean_total_variation(a: &Logits, b: &Logits) -> Result<f64> {
    check_same("mean_total_variation", a, b)?;
    let total: f64 = a
        .iter_rows()
        .zip(b.iter_rows())
        .map(|(ra, rb)| {
            0.5 * softmax(ra)
                .into_iter()
                .zip(softmax(rb))
                .map(|(p, q)| (p - q).abs())
                .sum::<f64>()
        })
        .sum();
    Ok(total / a.rows() as f64)
}

/// How far apart two copies of a region are in weight space.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CopyDistance {
    /// `<w_i, w_j>² / (|w_i|² |w_j|²)` (0 when a copy is zero).
    pub cos2: f64,
    /// `|w_i − w_j|`.
    pub l2: f64,
}

/// cos² and L2 distance between copies `pair` over the regularized groups, or over all groups
/// when `all_groups` is set.
pub fn copy_distance<B: Backend>(
    region: &Region<B>,
    pair: Pair,
    all_groups: bool,
) -> Result<CopyDistance> {
    let include = |g: &Group<B::Tensor>| all_groups || g.regularized;
    let [s, a, b] = gram_sums(region, pair, "copy_distance", include)?;
    // `|w_i − w_j|²` from the difference itself: `A + B − 2s` cancels for close copies.
    let differences = region
        .groups()
        .iter()
        .filter(|g| include(g))
        .map(|g| {
            B::sq_norm(B::lincomb(vec![
                (1.0, g.copies[pair.i()].clone()),
                (-1.0, g.copies[pair.j()].clone()),
            ]))
        })
        .collect();
    let l2_squared: f64 = scalars_to_host::<B>(differences, "copy_distance")?
        .into_iter()
        .sum();
    let denom = a * b;
    Ok(CopyDistance {
        cos2: if denom > 0.0 { s * s / denom } else { 0.0 },
        l2: finite("|w_i - w_j|^2", l2_squared)?.sqrt(),
    })
}
