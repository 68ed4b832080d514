//! STREAM copy and triad (the machine's memory bandwidth), on one thread and on all, over
//! arrays four times the L3 cache (capped by free memory); the smoke run (`-- --test`) uses
//! 4 MiB arrays.

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use subspace_benches::machine::Machine;
use subspace_benches::stream::Arrays;

fn bandwidth(c: &mut Criterion) {
    let machine = Machine::detect();
    let elements = if std::env::args().any(|a| a == "--test") {
        1 << 20
    } else {
        machine.stream_elements()
    };
    let mut threads = vec![1, machine.threads];
    threads.dedup();
    for t in threads {
        let mut group = c.benchmark_group(format!("stream/{t}-threads"));
        let mut arrays = Arrays::new(elements, t);
        group.throughput(Throughput::Bytes(arrays.copy_bytes()));
        group.bench_function("copy", |b| b.iter(|| arrays.copy()));
        group.throughput(Throughput::Bytes(arrays.triad_bytes()));
        group.bench_function("triad", |b| b.iter(|| arrays.triad()));
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_secs(2))
        .sample_size(10);
    targets = bandwidth
}
criterion_main!(benches);
