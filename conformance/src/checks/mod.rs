//! The checks: one generic function per property for backends, and host-only functions for
//! samplers and metrics. Each returns a [`Report`](crate::Report) or a
//! [`Failure`](crate::Failure).

mod averaging;
mod contract;
mod cos2;
mod cos2_invariants;
mod diversity;
mod golden;
mod metrics;
mod mix;
mod ownership;
mod sampler;
mod scatter;
mod sgd;

pub use averaging::{Trajectory, check_ema, check_swa};
pub use contract::check_copy_gradients;
pub use cos2::{check_cos2, check_cos2_finite_differences, check_mix_with_cos2};
pub use cos2_invariants::{
    check_cos2_invariants, check_cos2_orthogonal_parallel, check_cos2_zero_norm,
};
pub use diversity::check_copy_distance;
pub use golden::{check_golden, check_golden_host};
pub use metrics::{Batch, check_metrics, check_metrics_by_hand};
pub use mix::{
    check_determinism, check_mix, check_partition_of_unity, check_shape_agreement,
    check_vertices_exact,
};
pub use ownership::check_shared_inputs_kept;
pub use sampler::{
    DRAWS, HOST, check_dirichlet_sampler, check_layerwise_independence, check_pair_sampler,
    check_uniform_sampler,
};
pub use scatter::{check_scatter, check_scatter_finite_differences};
pub use sgd::check_sgd_step;
