//! Times every selected kernel workload on every compiled backend, for the report.

use crate::backends::{BackendVisitor, BenchBackend, Placement, visit_backends};
use crate::error::Result;
use crate::timing::{Budget, Stats, measure};
use crate::workload::{Prepared, Traffic, Workload};

/// Which workloads to time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Parameter counts `n`.
    pub sizes: Vec<usize>,
    /// Keep only workloads whose [id](workload_id) contains this text.
    pub filter: Option<String>,
}

impl Selection {
    /// Whether the workload on `backend` is selected.
    pub fn selects(&self, backend: &str, workload: &Workload) -> bool {
        self.filter
            .as_ref()
            .is_none_or(|f| workload_id(backend, workload).contains(f.as_str()))
    }
}

/// `backend/kernel/m{m}/{n}`, e.g. `reference/mix/m3/1000000`: the id criterion prints too.
pub fn workload_id(backend: &str, workload: &Workload) -> String {
    format!("{backend}/{}/{}", workload.group(), workload.params)
}

/// The timing of one workload on one backend.
#[derive(Debug, Clone, PartialEq)]
pub struct KernelTiming {
    /// The backend's name.
    pub backend: String,
    /// The workload.
    pub workload: Workload,
    /// Seconds per run.
    pub seconds: Stats,
    /// The elements per parameter the backend moves as it runs the kernel
    /// ([`Kernel::elements_as_run`](crate::workload::Kernel::elements_as_run)).
    pub as_run: Traffic,
}

impl KernelTiming {
    /// Useful bytes ([`Workload::bytes`]) per second at the median time.
    pub fn bandwidth(&self) -> f64 {
        self.workload.bytes() as f64 / self.seconds.median
    }
}

/// The distinct footprints ([`Workload::footprint_bytes`]) of the timed workloads, smallest
/// first: the sizes to measure the bandwidth at.
pub fn footprints(timings: &[KernelTiming]) -> Vec<u64> {
    let mut bytes: Vec<u64> = timings
        .iter()
        .map(|t| t.workload.footprint_bytes())
        .collect();
    bytes.sort_unstable();
    bytes.dedup();
    bytes
}

/// Times the selected workloads on every compiled backend whose placement is in `placements`;
/// each timing is also handed to `progress` as soon as it is taken.
pub fn time_kernels(
    selection: &Selection,
    budget: &Budget,
    placements: &[Placement],
    progress: &mut (dyn FnMut(&KernelTiming) + Send),
) -> Result<Vec<KernelTiming>> {
    let mut sweep = Sweep {
        selection,
        budget,
        placements,
        progress,
        timings: Vec::new(),
        error: None,
    };
    visit_backends(&mut sweep)?;
    match sweep.error {
        Some(e) => Err(e),
        None => Ok(sweep.timings),
    }
}

struct Sweep<'a> {
    selection: &'a Selection,
    budget: &'a Budget,
    placements: &'a [Placement],
    progress: &'a mut (dyn FnMut(&KernelTiming) + Send),
    timings: Vec<KernelTiming>,
    error: Option<crate::Error>,
}

impl Sweep<'_> {
    fn time<B: BenchBackend>(&mut self, device: &B::Device) -> Result<()> {
        let backend = B::name(device);
        for workload in Workload::all(&self.selection.sizes) {
            if !self.selection.selects(&backend, &workload) {
                continue;
            }
            let mut prepared = Prepared::<B>::new(workload, device)?;
            let timing = KernelTiming {
                backend: backend.clone(),
                workload,
                seconds: measure(self.budget, || prepared.run())?,
                as_run: workload
                    .kernel
                    .elements_as_run(workload.copies, B::passes(device)),
            };
            (self.progress)(&timing);
            self.timings.push(timing);
        }
        Ok(())
    }
}

impl BackendVisitor for Sweep<'_> {
    fn visit<B: BenchBackend>(&mut self, device: &B::Device) {
        if self.error.is_some() || !self.placements.contains(&B::placement(device)) {
            return;
        }
        if let Err(e) = self.time::<B>(device) {
            self.error = Some(e);
        }
    }
}
