//! The reference backend passes the whole suite (one test per property).

subspace_conformance::backend_tests!(
    reference,
    subspace_reference::Reference,
    subspace_reference::Cpu
);
