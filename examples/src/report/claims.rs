//! The claims of SPEC.md §9 as relations between measured quantities, judged on the means over
//! seeds and seed by seed.
//!
//! Every relation reads `lhs op rhs + margin`. The margins come from the config's `[claims]`
//! section and are the same for every method; they are fixed before a run. A relation
//! [held](Verdict::Held) when it holds on the means and on a majority of the seeds, [did not
//! hold](Verdict::NotHeld) when it fails on the means and on a majority of the seeds, and is
//! [inconclusive](Verdict::Inconclusive) otherwise (the means and most seeds disagree, or the
//! seeds split evenly): seed noise alone does not decide a verdict.

use serde::{Deserialize, Serialize};

use super::aggregate::Stat;
use super::record::{Condition, Metric, Record};
use crate::config::ClaimsConfig;
use crate::experiment::Method;

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// `>`
    Gt,
    /// `≥`
    Ge,
    /// `<`
    Lt,
    /// `≤`
    Le,
}

impl Op {
    fn holds(self, lhs: f64, rhs: f64) -> bool {
        match self {
            Self::Gt => lhs > rhs,
            Self::Ge => lhs >= rhs,
            Self::Lt => lhs < rhs,
            Self::Le => lhs <= rhs,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Self::Gt => ">",
            Self::Ge => "≥",
            Self::Lt => "<",
            Self::Le => "≤",
        }
    }
}

/// A metric of a method under a condition.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Quantity {
    /// The method.
    pub method: Method,
    /// The metric.
    pub metric: Metric,
    /// Budget and label noise.
    pub condition: Condition,
}

impl Quantity {
    /// Its value for `seed`, if measured.
    fn value(&self, records: &[Record], seed: u64) -> Option<f64> {
        records
            .iter()
            .find(|r| r.method == self.method && r.condition == self.condition && r.seed == seed)
            .and_then(|r| r.metrics.get(&self.metric).copied())
    }

    fn label(&self) -> String {
        format!("{} {}", self.method, self.metric.header())
    }
}

/// The right-hand side of a relation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Side {
    /// A measured quantity.
    Measured(Quantity),
    /// A fixed number.
    Constant(f64),
}

/// `lhs op rhs + margin`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Relation {
    /// Left side.
    pub lhs: Quantity,
    /// Comparison.
    pub op: Op,
    /// Right side.
    pub rhs: Side,
    /// Added to the right side.
    pub margin: f64,
}

/// A relation's measured outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelationOutcome {
    /// The relation in words and symbols.
    pub text: String,
    /// The relation itself.
    pub relation: Relation,
    /// The left side over seeds.
    pub lhs: Option<Stat>,
    /// The right side over seeds (a constant has `std = 0`, `n = 0`).
    pub rhs: Option<Stat>,
    /// Whether it held on the means; `None` when not measured.
    pub held_on_means: Option<bool>,
    /// Seeds on which it held.
    pub seeds_held: usize,
    /// Seeds on which both sides were measured.
    pub seeds: usize,
    /// Held (on the means and a majority of seeds), did not hold (failed on both),
    /// inconclusive (otherwise) or not measured.
    pub verdict: Verdict,
}

/// The verdict on a relation or a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// A relation: held on the means and on a majority of seeds. A claim: every relation held.
    Held,
    /// A relation: failed on the means and on a majority of seeds. A claim: some relation did
    /// not hold.
    NotHeld,
    /// A relation: the means and the majority of seeds disagree, or the seeds split evenly. A
    /// claim: some relation was inconclusive and none did not hold.
    Inconclusive,
    /// Not measured (its method or condition was not run); a claim with no relation that
    /// failed or was inconclusive.
    NotMeasured,
}

impl Verdict {
    /// The verdict in words.
    pub fn words(self) -> &'static str {
        match self {
            Self::Held => "held",
            Self::NotHeld => "did not hold",
            Self::Inconclusive => "inconclusive",
            Self::NotMeasured => "not measured",
        }
    }

    /// The verdict on a relation that held on the means (`None`: not measured) and on
    /// `seeds_held` of `seeds` seeds.
    pub fn of_relation(held_on_means: Option<bool>, seeds_held: usize, seeds: usize) -> Self {
        let majority = |n: usize| 2 * n > seeds;
        match held_on_means {
            None => Self::NotMeasured,
            Some(true) if majority(seeds_held) => Self::Held,
            Some(false) if majority(seeds - seeds_held) => Self::NotHeld,
            Some(_) => Self::Inconclusive,
        }
    }
}

/// A claim of SPEC.md §9 with its relations.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimSpec {
    /// Its number in SPEC.md §9.
    pub id: u8,
    /// Its statement.
    pub statement: &'static str,
    /// How it is judged.
    pub relations: Vec<Relation>,
}

/// A judged claim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimOutcome {
    /// Its number in SPEC.md §9.
    pub id: u8,
    /// Its statement.
    pub statement: String,
    /// Each relation's outcome.
    pub relations: Vec<RelationOutcome>,
    /// The verdict.
    pub verdict: Verdict,
}

/// The nine claims of SPEC.md §9 for budgets `E`, `2E` and the noisy condition `noise` (if any).
pub fn claim_specs(
    margins: &ClaimsConfig,
    budgets: [usize; 2],
    noise: Option<f64>,
) -> Vec<ClaimSpec> {
    use Method::*;
    use Metric::*;
    let q = |method, metric, epochs, label_noise| Quantity {
        method,
        metric,
        condition: Condition {
            epochs,
            label_noise,
        },
    };
    let cmp = |lhs: Quantity, op, rhs: Quantity, margin| Relation {
        lhs,
        op,
        rhs: Side::Measured(rhs),
        margin,
    };
    let constant = |lhs: Quantity, op, c| Relation {
        lhs,
        op,
        rhs: Side::Constant(c),
        margin: 0.0,
    };
    let per_budget = |f: &dyn Fn(usize) -> Vec<Relation>| -> Vec<Relation> {
        budgets.iter().flat_map(|&e| f(e)).collect()
    };
    let clean = 0.0;
    vec![
        ClaimSpec {
            id: 1,
            statement: "No accuracy barrier along a learned line; a barrier on the straight line \
                        between two independently trained models.",
            relations: per_budget(&|e| {
                vec![
                    constant(q(Line, Barrier, e, clean), Op::Le, margins.barrier),
                    constant(
                        q(IndependentLine, Barrier, e, clean),
                        Op::Gt,
                        margins.barrier,
                    ),
                ]
            }),
        },
        ClaimSpec {
            id: 2,
            statement: "BN recalibration is needed at every evaluated point.",
            // Each accuracy against the same models' accuracy without recalibration: the
            // midpoint, and the mean over both endpoints.
            relations: per_budget(&|e| {
                [Accuracy, EndpointAccuracy]
                    .into_iter()
                    .filter_map(|m| {
                        Some(cmp(
                            q(Line, m, e, clean),
                            Op::Gt,
                            q(Line, m.without_recalibration()?, e, clean),
                            margins.recalibration_gain,
                        ))
                    })
                    .collect()
            }),
        },
        ClaimSpec {
            id: 3,
            statement: "Midpoint accuracy >= standard training at the same number of epochs (and \
                        with 2x epochs).",
            relations: per_budget(&|e| {
                vec![cmp(
                    q(Line, Accuracy, e, clean),
                    Op::Ge,
                    q(Standard, Accuracy, e, clean),
                    0.0,
                )]
            }),
        },
        ClaimSpec {
            id: 4,
            statement: "Endpoint ensemble > each endpoint and > one standard model; <= an \
                        independent 2-model ensemble.",
            relations: per_budget(&|e| {
                vec![
                    cmp(
                        q(Line, EnsembleAccuracy, e, clean),
                        Op::Gt,
                        q(Line, BestEndpointAccuracy, e, clean),
                        0.0,
                    ),
                    cmp(
                        q(Line, EnsembleAccuracy, e, clean),
                        Op::Gt,
                        q(Standard, Accuracy, e, clean),
                        0.0,
                    ),
                    cmp(
                        q(Line, EnsembleAccuracy, e, clean),
                        Op::Le,
                        q(Ensemble, Accuracy, e, clean),
                        0.0,
                    ),
                ]
            }),
        },
        ClaimSpec {
            id: 5,
            statement: "With beta = 0 the copies end up more similar and the ensemble gain shrinks.",
            relations: per_budget(&|e| {
                vec![
                    cmp(
                        q(LineBeta0, Cos2, e, clean),
                        Op::Gt,
                        q(Line, Cos2, e, clean),
                        0.0,
                    ),
                    cmp(
                        q(LineBeta0, EnsembleGain, e, clean),
                        Op::Lt,
                        q(Line, EnsembleGain, e, clean),
                        0.0,
                    ),
                ]
            }),
        },
        ClaimSpec {
            id: 6,
            statement: "Midpoint ECE < standard-training ECE; ensemble ECE < single-model ECE.",
            relations: per_budget(&|e| {
                vec![
                    cmp(
                        q(Line, Ece, e, clean),
                        Op::Lt,
                        q(Standard, Ece, e, clean),
                        0.0,
                    ),
                    cmp(
                        q(Line, EnsembleEce, e, clean),
                        Op::Lt,
                        q(Line, EndpointEce, e, clean),
                        0.0,
                    ),
                    cmp(
                        q(Ensemble, Ece, e, clean),
                        Op::Lt,
                        q(Standard, Ece, e, clean),
                        0.0,
                    ),
                ]
            }),
        },
        ClaimSpec {
            id: 7,
            statement: "Under label noise, midpoint accuracy at the end of training > standard \
                        training.",
            relations: match noise {
                Some(p) => per_budget(&|e| {
                    vec![cmp(
                        q(Line, Accuracy, e, p),
                        Op::Gt,
                        q(Standard, Accuracy, e, p),
                        0.0,
                    )]
                }),
                None => Vec::new(),
            },
        },
        ClaimSpec {
            id: 8,
            statement: "Midpoint matches or beats SWA at equal epochs.",
            relations: per_budget(&|e| {
                vec![cmp(
                    q(Line, Accuracy, e, clean),
                    Op::Ge,
                    q(Swa, Accuracy, e, clean),
                    -margins.matches,
                )]
            }),
        },
        ClaimSpec {
            id: 9,
            statement: "Simplex centroid and layerwise variants behave like the line (report, \
                        don't assume).",
            relations: per_budget(&|e| {
                [LineLayerwise, Simplex]
                    .into_iter()
                    .map(|v| {
                        cmp(
                            q(v, Accuracy, e, clean),
                            Op::Ge,
                            q(Line, Accuracy, e, clean),
                            -margins.matches,
                        )
                    })
                    .collect()
            }),
        },
    ]
}

fn describe(r: &Relation) -> String {
    let cond = r.lhs.condition;
    let rhs = match r.rhs {
        Side::Measured(q) if q.condition == cond => q.label(),
        Side::Measured(q) => format!("{} ({})", q.label(), q.condition),
        Side::Constant(c) => format!("{c}"),
    };
    let margin = match r.margin {
        m if m > 0.0 => format!(" + {m}"),
        m if m < 0.0 => format!(" − {}", -m),
        _ => String::new(),
    };
    format!("{} {} {rhs}{margin} ({cond})", r.lhs.label(), r.op.symbol())
}

/// Judges one relation on the records of `seeds`.
pub fn judge(relation: &Relation, records: &[Record], seeds: &[u64]) -> RelationOutcome {
    let pairs: Vec<(f64, f64)> = seeds
        .iter()
        .filter_map(|&s| {
            let l = relation.lhs.value(records, s)?;
            let r = match relation.rhs {
                Side::Measured(q) => q.value(records, s)?,
                Side::Constant(c) => c,
            };
            Some((l, r))
        })
        .collect();
    let lhs = Stat::of(&pairs.iter().map(|p| p.0).collect::<Vec<_>>());
    let rhs = match relation.rhs {
        Side::Constant(c) => Some(Stat {
            mean: c,
            std: 0.0,
            n: 0,
        }),
        Side::Measured(_) => Stat::of(&pairs.iter().map(|p| p.1).collect::<Vec<_>>()),
    };
    let holds = |l: f64, r: f64| relation.op.holds(l, r + relation.margin);
    let complete = pairs.len() == seeds.len() && !seeds.is_empty();
    let held_on_means = match (lhs, rhs) {
        (Some(l), Some(r)) if complete => Some(holds(l.mean, r.mean)),
        _ => None,
    };
    let seeds_held = pairs.iter().filter(|&&(l, r)| holds(l, r)).count();
    RelationOutcome {
        text: describe(relation),
        relation: *relation,
        lhs,
        rhs,
        held_on_means,
        seeds_held,
        seeds: pairs.len(),
        verdict: Verdict::of_relation(held_on_means, seeds_held, pairs.len()),
    }
}

/// Judges every relation of a claim; the verdict is [`Verdict::NotHeld`] if any relation did
/// not hold, else [`Verdict::Inconclusive`] if any was inconclusive, else [`Verdict::Held`] if
/// all held, else [`Verdict::NotMeasured`].
pub fn evaluate(spec: &ClaimSpec, records: &[Record], seeds: &[u64]) -> ClaimOutcome {
    let relations: Vec<RelationOutcome> = spec
        .relations
        .iter()
        .map(|r| judge(r, records, seeds))
        .collect();
    let any = |v: Verdict| relations.iter().any(|r| r.verdict == v);
    let verdict = if any(Verdict::NotHeld) {
        Verdict::NotHeld
    } else if any(Verdict::Inconclusive) {
        Verdict::Inconclusive
    } else if !relations.is_empty() && relations.iter().all(|r| r.verdict == Verdict::Held) {
        Verdict::Held
    } else {
        Verdict::NotMeasured
    };
    ClaimOutcome {
        id: spec.id,
        statement: spec.statement.to_owned(),
        relations,
        verdict,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    const E: Condition = Condition {
        epochs: 2,
        label_noise: 0.0,
    };

    fn rec(method: Method, seed: u64, metrics: &[(Metric, f64)]) -> Record {
        Record {
            method,
            seed,
            condition: E,
            metrics: metrics.iter().copied().collect::<BTreeMap<_, _>>(),
            along: None,
            pairs: None,
            reliability: Vec::new(),
            ensemble_reliability: None,
            train_seconds: 0.0,
        }
    }

    fn ge(lhs: Method, rhs: Method, margin: f64) -> Relation {
        Relation {
            lhs: Quantity {
                method: lhs,
                metric: Metric::Accuracy,
                condition: E,
            },
            op: Op::Ge,
            rhs: Side::Measured(Quantity {
                method: rhs,
                metric: Metric::Accuracy,
                condition: E,
            }),
            margin,
        }
    }

    #[test]
    fn relations_are_judged_on_means_and_counted_per_seed() {
        let records = [
            rec(Method::Line, 0, &[(Metric::Accuracy, 0.90)]),
            rec(Method::Line, 1, &[(Metric::Accuracy, 0.80)]),
            rec(Method::Standard, 0, &[(Metric::Accuracy, 0.85)]),
            rec(Method::Standard, 1, &[(Metric::Accuracy, 0.84)]),
        ];
        // Means 0.85 vs 0.845: held on the means, on one seed of two.
        let o = judge(&ge(Method::Line, Method::Standard, 0.0), &records, &[0, 1]);
        assert_eq!(o.held_on_means, Some(true));
        assert_eq!((o.seeds_held, o.seeds), (1, 2));
        // A margin of +0.01 on the right side turns it around.
        let o = judge(&ge(Method::Line, Method::Standard, 0.01), &records, &[0, 1]);
        assert_eq!(o.held_on_means, Some(false));
        assert!(
            o.text.contains("line acc ≥ standard acc + 0.01"),
            "{}",
            o.text
        );
    }

    #[test]
    fn missing_methods_are_not_measured_and_failures_dominate() {
        let records = [
            rec(Method::Line, 0, &[(Metric::Accuracy, 0.9)]),
            rec(Method::Standard, 0, &[(Metric::Accuracy, 0.95)]),
        ];
        let spec = |relations| ClaimSpec {
            id: 3,
            statement: "s",
            relations,
        };
        let failing = ge(Method::Line, Method::Standard, 0.0);
        let unmeasured = ge(Method::Line, Method::Swa, 0.0);
        assert_eq!(judge(&unmeasured, &records, &[0]).held_on_means, None);
        assert_eq!(
            judge(&unmeasured, &records, &[0]).verdict,
            Verdict::NotMeasured
        );
        assert_eq!(
            evaluate(&spec(vec![unmeasured]), &records, &[0]).verdict,
            Verdict::NotMeasured
        );
        assert_eq!(
            evaluate(&spec(vec![failing, unmeasured]), &records, &[0]).verdict,
            Verdict::NotHeld
        );
        let passing = ge(Method::Standard, Method::Line, 0.0);
        assert_eq!(
            evaluate(&spec(vec![passing]), &records, &[0]).verdict,
            Verdict::Held
        );
        assert_eq!(
            evaluate(&spec(vec![]), &records, &[0]).verdict,
            Verdict::NotMeasured
        );
    }

    #[test]
    fn constants_compare_against_the_mean() {
        let records = [
            rec(Method::Line, 0, &[(Metric::Barrier, 0.004)]),
            rec(Method::Line, 1, &[(Metric::Barrier, 0.02)]),
        ];
        let r = Relation {
            lhs: Quantity {
                method: Method::Line,
                metric: Metric::Barrier,
                condition: E,
            },
            op: Op::Le,
            rhs: Side::Constant(0.01),
            margin: 0.0,
        };
        let o = judge(&r, &records, &[0, 1]);
        // Mean 0.012 > 0.01: not held on the mean, though seed 0 alone held: one seed of two
        // is no majority either way.
        assert_eq!(o.held_on_means, Some(false));
        assert_eq!(o.seeds_held, 1);
        assert_eq!(o.verdict, Verdict::Inconclusive);
    }

    /// Line and standard accuracies of three seeds.
    fn three_seeds(line: [f64; 3], standard: [f64; 3]) -> Vec<Record> {
        (0..3)
            .flat_map(|s| {
                [
                    rec(Method::Line, s, &[(Metric::Accuracy, line[s as usize])]),
                    rec(
                        Method::Standard,
                        s,
                        &[(Metric::Accuracy, standard[s as usize])],
                    ),
                ]
            })
            .collect()
    }

    #[test]
    fn a_relation_needs_the_means_and_a_majority_of_seeds_to_agree() {
        let line_ge_standard = ge(Method::Line, Method::Standard, 0.0);
        let verdict = |line, standard| {
            let o = judge(&line_ge_standard, &three_seeds(line, standard), &[0, 1, 2]);
            (o.held_on_means, o.seeds_held, o.verdict)
        };
        // Means and every seed agree.
        assert_eq!(
            verdict([0.9, 0.9, 0.9], [0.8, 0.8, 0.8]),
            (Some(true), 3, Verdict::Held)
        );
        assert_eq!(
            verdict([0.8, 0.8, 0.8], [0.9, 0.9, 0.9]),
            (Some(false), 0, Verdict::NotHeld)
        );
        // Two seeds of three on the side of the means.
        assert_eq!(
            verdict([0.9, 0.9, 0.7], [0.8, 0.8, 0.8]),
            (Some(true), 2, Verdict::Held)
        );
        assert_eq!(
            verdict([0.7, 0.7, 0.9], [0.8, 0.8, 0.8]),
            (Some(false), 1, Verdict::NotHeld)
        );
        // One large seed carries the mean against the other two: inconclusive, both ways.
        assert_eq!(
            verdict([0.79, 0.79, 0.99], [0.8, 0.8, 0.8]),
            (Some(true), 1, Verdict::Inconclusive)
        );
        assert_eq!(
            verdict([0.81, 0.81, 0.6], [0.8, 0.8, 0.8]),
            (Some(false), 2, Verdict::Inconclusive)
        );
    }

    #[test]
    fn an_inconclusive_relation_makes_the_claim_inconclusive_unless_one_failed() {
        let spec = |relations| ClaimSpec {
            id: 3,
            statement: "s",
            relations,
        };
        let records = three_seeds([0.79, 0.79, 0.99], [0.8, 0.8, 0.8]);
        let inconclusive = ge(Method::Line, Method::Standard, 0.0);
        let held = ge(Method::Line, Method::Line, 0.0);
        let failed = ge(Method::Line, Method::Line, 0.01);
        let claim = |relations| evaluate(&spec(relations), &records, &[0, 1, 2]).verdict;
        assert_eq!(claim(vec![held]), Verdict::Held);
        assert_eq!(claim(vec![held, inconclusive]), Verdict::Inconclusive);
        assert_eq!(claim(vec![inconclusive, failed]), Verdict::NotHeld);
        assert_eq!(
            claim(vec![inconclusive, ge(Method::Line, Method::Swa, 0.0)]),
            Verdict::Inconclusive
        );
    }

    #[test]
    fn verdicts_serialize_in_words() {
        assert_eq!(
            serde_json::to_string(&Verdict::Inconclusive).unwrap(),
            "\"inconclusive\""
        );
        assert_eq!(
            serde_json::to_string(&Verdict::NotHeld).unwrap(),
            "\"not-held\""
        );
    }

    fn specs() -> Vec<ClaimSpec> {
        let margins = ClaimsConfig {
            barrier: 0.01,
            matches: 0.005,
            recalibration_gain: 0.01,
        };
        claim_specs(&margins, [2, 4], Some(0.2))
    }

    #[test]
    fn claim_2_compares_each_accuracy_with_the_same_models_without_recalibration() {
        let claim = &specs()[1];
        assert_eq!(claim.id, 2);
        let pairs: Vec<(Metric, Metric)> = claim
            .relations
            .iter()
            .map(|r| match r.rhs {
                Side::Measured(q) => {
                    assert_eq!(q.method, r.lhs.method);
                    assert_eq!(q.condition, r.lhs.condition);
                    (r.lhs.metric, q.metric)
                }
                Side::Constant(_) => panic!("claim 2 compares measured accuracies"),
            })
            .collect();
        let per_budget = [
            (Metric::Accuracy, Metric::AccuracyNoRecalibration),
            (
                Metric::EndpointAccuracy,
                Metric::EndpointAccuracyNoRecalibration,
            ),
        ];
        assert_eq!(pairs, [per_budget, per_budget].concat());
        // Recalibration that leaves the mean endpoint accuracy where it was is not "needed".
        let records = [rec(
            Method::Line,
            0,
            &[
                (Metric::EndpointAccuracy, 0.8),
                (Metric::EndpointAccuracyNoRecalibration, 0.8),
            ],
        )];
        assert_eq!(
            judge(&claim.relations[1], &records, &[0]).verdict,
            Verdict::NotHeld
        );
    }

    #[test]
    fn claim_9_compares_the_simplex_and_layerwise_line_with_the_line_only() {
        let claim = &specs()[8];
        assert_eq!(claim.id, 9);
        let mut methods: Vec<Method> = claim.relations.iter().map(|r| r.lhs.method).collect();
        methods.sort();
        methods.dedup();
        assert_eq!(methods, [Method::LineLayerwise, Method::Simplex]);
    }

    #[test]
    fn all_nine_claims_are_specified_for_both_budgets() {
        let margins = ClaimsConfig {
            barrier: 0.01,
            matches: 0.005,
            recalibration_gain: 0.01,
        };
        let specs = claim_specs(&margins, [2, 4], Some(0.2));
        assert_eq!(
            specs.iter().map(|s| s.id).collect::<Vec<_>>(),
            (1..=9).collect::<Vec<_>>()
        );
        for s in &specs {
            let budgets: std::collections::BTreeSet<usize> =
                s.relations.iter().map(|r| r.lhs.condition.epochs).collect();
            assert_eq!(
                budgets.into_iter().collect::<Vec<_>>(),
                vec![2, 4],
                "claim {}",
                s.id
            );
        }
        let noisy = &specs[6];
        assert!(
            noisy
                .relations
                .iter()
                .all(|r| r.lhs.condition.label_noise == 0.2)
        );
        assert!(claim_specs(&margins, [2, 4], None)[6].relations.is_empty());
    }
}
