//! The kernels of `subspace-core` on every compiled backend, on identical workloads.
//!
//! Groups are `backend/kernel/m{m}`, inputs the parameter count `n`; throughput is each
//! kernel's useful bytes, the same for every backend (see `subspace_benches::workload`). Filter like any criterion bench, e.g.
//! `cargo bench -p subspace-benches --bench kernels -- 'reference/mix/m3/1000000$'`.
//!
//! The smoke run (`-- --test`, CI) runs every kernel, `m` and backend once at `n` up to
//! [`SMOKE_MAX_PARAMS`]: luminal's CPU graphs take seconds per call at `10⁷`.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use subspace_benches::workload::{Prepared, SIZES, Workload};
use subspace_benches::{BackendVisitor, BenchBackend, visit_backends};

/// The largest `n` of the smoke run.
const SMOKE_MAX_PARAMS: usize = 100_000;

struct Kernels<'a> {
    criterion: &'a mut Criterion,
    sizes: Vec<usize>,
}

impl BackendVisitor for Kernels<'_> {
    fn visit<B: BenchBackend>(&mut self, device: &B::Device) {
        let backend = B::name(device);
        let mut workloads = Workload::all(&self.sizes).into_iter().peekable();
        while let Some(first) = workloads.peek().copied() {
            let mut group = self
                .criterion
                .benchmark_group(format!("{backend}/{}", first.group()));
            while let Some(w) = workloads.next_if(|w| w.group() == first.group()) {
                group.throughput(Throughput::Bytes(w.bytes()));
                group.bench_function(BenchmarkId::from_parameter(w.params), |b| {
                    // Prepared only when the filter selects this benchmark.
                    let mut prepared =
                        Prepared::<B>::new(w, device).expect("workload inputs upload");
                    b.iter(|| prepared.run().expect("kernel runs"));
                });
            }
            group.finish();
        }
    }
}

fn kernels(c: &mut Criterion) {
    let smoke = std::env::args().any(|a| a == "--test");
    let sizes = SIZES
        .into_iter()
        .filter(|&n| !smoke || n <= SMOKE_MAX_PARAMS)
        .collect();
    if let Err(e) = visit_backends(&mut Kernels {
        criterion: c,
        sizes,
    }) {
        eprintln!("kernels: {e}");
        std::process::exit(1);
    }
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
