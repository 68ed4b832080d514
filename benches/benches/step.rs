//! Time per training step on burn `flex`: standard training and the plugin (line, simplex-3,
//! with the cos² regularizer) for the MLP 784-512-512-10 and the small CNN, batch 128.
//!
//! Groups are `step/{device}/{model}`, functions the variants. criterion times them one after
//! another; the report binary interleaves them and gives the ratios.

use std::time::Duration;

use burn::tensor::Device;
use criterion::{Criterion, criterion_group, criterion_main};
use subspace_benches::step::{StepModel, Trainers, Variant};

/// Examples per batch.
const BATCH: usize = 128;

fn steps(c: &mut Criterion) {
    for model in [StepModel::Mlp, StepModel::SmallCnn] {
        let mut group = c.benchmark_group(format!("step/burn-flex/{}", model.name()));
        let mut trainers = None;
        for variant in Variant::ALL {
            group.bench_function(variant.name(), |b| {
                let trainers = trainers.get_or_insert_with(|| {
                    Trainers::new(model, &Device::flex(), BATCH).expect("models initialise")
                });
                let mut t = 0;
                b.iter(|| {
                    trainers.step(variant, t).expect("training step runs");
                    t += 1;
                });
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5))
        .sample_size(10);
    targets = steps
}
criterion_main!(benches);
