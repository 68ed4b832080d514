//! Operations take tensors by value, and a backend may compute a result in an input's buffer
//! (core hands over tensors it no longer needs, e.g. the gradient for the last copy), but only
//! in a buffer no other handle shares: a tensor the caller still holds keeps its values.

use subspace_core::{Backend, HostTensor, copy_gradients};

use crate::compare::Comparisons;
use crate::data::{RegionCase, download, widen};
use crate::harness::{SuiteConfig, run_property};
use crate::outcome::{Failure, Report};
use crate::strategies::region_case_and_grad_seeds;
use crate::tolerance::Tolerance;

/// After `Region::mix`, `Region::scatter`, `copy_gradients` with weight decay, and the trait's
/// `lincomb`, `scale`, `scaled_add`, `dot` and `gram`, all given clones of the copies and of
/// the gradients, the copies and gradients still download bit for bit as uploaded.
pub fn check_shared_inputs_kept<B: Backend>(
    device: &B::Device,
    config: &SuiteConfig,
) -> Result<Report, Failure> {
    run_property(
        "shared inputs kept",
        &B::name(device),
        config,
        region_case_and_grad_seeds(),
        |(case, seeds): &(RegionCase, Vec<u64>)| {
            let spec = &case.region;
            let copies = spec.host();
            let grads = spec.per_group(seeds);
            let region = spec.region::<B>(&copies, device)?;
            let uploaded: Vec<B::Tensor> = grads.iter().map(|g| B::from_host(g, device)).collect();

            region.mix(&case.points)?;
            region.scatter(uploaded.clone(), &case.points)?;
            copy_gradients(&region, uploaded.clone(), &case.points, None, 0.25)?;
            for (group, g) in region.groups().iter().zip(&uploaded) {
                let (x, y) = (&group.copies[0], &group.copies[group.copies.len() - 1]);
                B::lincomb(vec![(0.5, x.clone()), (2.0, y.clone())]);
                B::scale(g.clone(), 3.0);
                B::scaled_add(g.clone(), x.clone(), 0.25);
                B::to_host(vec![B::dot(x.clone(), y.clone())])?;
                let gram = B::gram(x.clone(), y.clone());
                B::to_host(vec![gram.ab, gram.aa, gram.bb])?;
            }

            let mut cmp = Comparisons::new();
            let mut kept = |what: String, tensor: &B::Tensor, host: &HostTensor| {
                let now = download::<B>(tensor.clone())?;
                let zero = vec![0.0; host.len()];
                cmp.tensor(Tolerance::EXACT, &what, &now, &widen(host.data()), &zero);
                Ok::<_, crate::outcome::CaseError>(())
            };
            for (g, (group, host)) in region.groups().iter().zip(&copies).enumerate() {
                for (k, (copy, host)) in group.copies.iter().zip(host).enumerate() {
                    kept(format!("copy {k} of group {g}"), copy, host)?;
                }
            }
            for (g, (tensor, host)) in uploaded.iter().zip(&grads).enumerate() {
                kept(format!("gradient of group {g}"), tensor, host)?;
            }
            cmp.finish()
        },
    )
}
