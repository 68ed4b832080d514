//! The kernels of `subspace-core` on every compiled backend, on identical workloads.
//!
//! Groups are `backend/kernel/m{m}`, inputs the parameter count `n`; throughput is the bytes
//! each kernel moves (see `subspace_benches::workload`). Filter like any criterion bench, e.g.
//! `cargo bench -p subspace-benches --bench kernels -- 'reference/mix/m3/1000000$'`.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use subspace_benches::workload::{Prepared, SIZES, Workload};
use subspace_benches::{BackendVisitor, BenchBackend, visit_backends};

struct Kernels<'a>(&'a mut Criterion);

impl BackendVisitor for Kernels<'_> {
    fn visit<B: BenchBackend>(&mut self, device: &B::Device) {
        let backend = B::name(device);
        let mut workloads = Workload::all(&SIZES).into_iter().peekable();
        while let Some(first) = workloads.peek().copied() {
            let mut group = self
                .0
                .benchmark_group(format!("{backend}/{}", first.group()));
            while let Some(w) = workloads.next_if(|w| w.group() == first.group()) {
                group.throughput(Throughput::Bytes(w.bytes()));
                group.bench_function(BenchmarkId::from_parameter(w.params), |b| {
                    // Prepared only when the filter selects this benchmark.
                    let prepared = Prepared::<B>::new(w, device).expect("workload inputs upload");
                    b.iter(|| prepared.run().expect("kernel runs"));
                });
            }
            group.finish();
        }
    }
}

fn kernels(c: &mut Criterion) {
    visit_backends(&mut Kernels(c));
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_secs(1))
        .sample_size(10);
    targets = kernels
}
criterion_main!(benches);
