use super::logits::{Logits, softmax};
use crate::error::{Error, Result};

/// How ensemble members are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Combine {
    /// Mean of the members' logits (the paper's default).
    #[default]
    LogitMean,
    /// Sum of the members' logits (same predictions as the mean, sharper softmax).
    LogitSum,
    /// Mean of the members' softmax probabilities, returned as log-probabilities so that a
    /// softmax of the result gives the mean probabilities back.
    ProbabilityMean,
}

/// Combines the members' logits into the ensemble's logits.
///
/// Errors if there are no members or their rows or classes differ.
pub fn ensemble(members: &[Logits], combine: Combine) -> Result<Logits> {
    let first = members.first().ok_or(Error::Empty {
        operation: "ensemble",
        what: "members",
    })?;
    let (rows, classes) = (first.rows(), first.classes());
    for m in members {
        if m.rows() != rows || m.classes() != classes {
            return Err(Error::DimsMismatch {
                operation: "ensemble",
                what: "member logits".into(),
                expected: vec![rows, classes],
                found: vec![m.rows(), m.classes()],
            });
        }
    }
    let k = members.len() as f64;
    let data: Vec<f32> = match combine {
        Combine::LogitMean | Combine::LogitSum => {
            let scale = if combine == Combine::LogitMean {
                1.0 / k
            } else {
                1.0
            };
            (0..rows * classes)
                .map(|e| (members.iter().map(|m| m.data()[e] as f64).sum::<f64>() * scale) as f32)
                .collect()
        }
        Combine::ProbabilityMean => (0..rows)
            .flat_map(|r| {
                let mut mean = vec![0.0f64; classes];
                for m in members {
                    for (acc, p) in mean.iter_mut().zip(softmax(m.row(r))) {
                        *acc += p / k;
                    }
                }
                // A probability that underflowed to zero gets the smallest finite log.
                mean.into_iter()
                    .map(|p| (p.ln() as f32).max(f32::MIN))
                    .collect::<Vec<_>>()
            })
            .collect(),
    };
    Logits::new(rows, classes, data)
}
