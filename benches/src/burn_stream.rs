//! A device's bandwidth as burn's own elementwise operations reach it: STREAM's `scale`
//! (`b = s·c`, one kernel, 2 words per element) and `triad` (`a = b + s·c`, 3 words; two
//! kernels unless burn fuses them), each ended by `Device::sync`.
//!
//! On a GPU this is the ceiling the kernels are compared with (`scale`, the one-kernel pass);
//! on `flex` it shows what burn's CPU ops reach next to the hand-written STREAM.

use std::time::Instant;

use burn::tensor::{Device, Tensor};

use crate::backends::BenchBackend;
use crate::error::Result;
use crate::stream::Rate;
use crate::timing::Stats;

/// The scalar `s`.
const SCALAR: f32 = 0.5;

/// `scale` and `triad` bandwidth of one burn device.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceStream {
    /// The backend name of the device, e.g. `burn-flex`.
    pub device: String,
    /// Elements per array.
    pub elements: usize,
    /// `b = s·c`.
    pub scale: Rate,
    /// `a = b + s·c`.
    pub triad: Rate,
}

/// Runs `trials` (at least one) rounds of scale then triad over arrays of `elements` (at least
/// one) `f32` on `device`, each timed until the device is done; the first, untimed round
/// compiles and allocates.
pub fn burn_stream(device: &Device, elements: usize, trials: usize) -> Result<DeviceStream> {
    let (elements, trials) = (elements.max(1), trials.max(1));
    let b = Tensor::<1>::full([elements], 2.0, device);
    let c = Tensor::<1>::full([elements], 1.0, device);
    let sync = || <subspace_burn::Burn as BenchBackend>::synchronize(device);
    sync()?;
    let time = |op: &dyn Fn() -> Tensor<1>| -> Result<f64> {
        let start = Instant::now();
        let out = op();
        sync()?;
        let seconds = start.elapsed().as_secs_f64();
        drop(out);
        Ok(seconds)
    };
    let scale = || c.clone().mul_scalar(SCALAR);
    let triad = || b.clone() + c.clone().mul_scalar(SCALAR);
    time(&scale)?;
    time(&triad)?;
    let mut scales = Vec::with_capacity(trials);
    let mut triads = Vec::with_capacity(trials);
    for _ in 0..trials {
        scales.push(time(&scale)?);
        triads.push(time(&triad)?);
    }
    let words = |w: usize| (w * elements * size_of::<f32>()) as u64;
    let rate = |bytes, times: Vec<f64>| Rate {
        bytes,
        seconds: Stats::of(times).unwrap_or_else(|| unreachable!("trials >= 1, times finite")),
    };
    Ok(DeviceStream {
        device: <subspace_burn::Burn as subspace_core::Backend>::name(device),
        elements,
        scale: rate(words(2), scales),
        triad: rate(words(3), triads),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flex_stream_times_every_trial() {
        let s = burn_stream(&Device::flex(), 4096, 3).unwrap();
        assert_eq!(s.device, "burn-flex");
        assert_eq!(s.scale.bytes, 2 * 4096 * 4);
        assert_eq!(s.triad.bytes, 3 * 4096 * 4);
        assert_eq!(s.triad.seconds.samples, 3);
    }
}
