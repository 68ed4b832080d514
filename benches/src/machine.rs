//! What the report says about the machine: CPU, caches, memory and load (Linux `/proc` and
//! `/sys`; fields that cannot be read are left out).

use std::fs;
use std::thread;

/// The machine the numbers were taken on.
#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    /// The CPU model name.
    pub cpu: Option<String>,
    /// Logical CPUs this process may use.
    pub threads: usize,
    /// Size of the last-level (L3) cache in bytes.
    pub l3_bytes: Option<u64>,
    /// Total memory in bytes.
    pub memory_bytes: Option<u64>,
    /// Memory available to new allocations in bytes.
    pub available_bytes: Option<u64>,
}

impl Machine {
    /// Reads the machine's description.
    pub fn detect() -> Self {
        let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
        Self {
            cpu: fs::read_to_string("/proc/cpuinfo")
                .ok()
                .and_then(|s| cpu_model(&s)),
            threads: thread::available_parallelism().map_or(1, |n| n.get()),
            l3_bytes: fs::read_to_string("/sys/devices/system/cpu/cpu0/cache/index3/size")
                .ok()
                .and_then(|s| cache_size(&s)),
            memory_bytes: meminfo_bytes(&meminfo, "MemTotal"),
            available_bytes: meminfo_bytes(&meminfo, "MemAvailable"),
        }
    }

    /// Elements per STREAM array: four times the L3 cache (STREAM's rule), at least 64 MiB,
    /// and at most a twelfth of available memory, so the three arrays take at most a quarter.
    pub fn stream_elements(&self) -> usize {
        const MIB: u64 = 1 << 20;
        let wanted = self.l3_bytes.map_or(64 * MIB, |l3| 4 * l3).max(64 * MIB);
        let allowed = self.available_bytes.map_or(wanted, |a| a / 12);
        (wanted.min(allowed) / size_of::<f32>() as u64) as usize
    }
}

/// The 1, 5 and 15 minute load averages.
pub fn load_average() -> Option<[f64; 3]> {
    let s = fs::read_to_string("/proc/loadavg").ok()?;
    let mut it = s.split_whitespace().map(str::parse::<f64>);
    Some([it.next()?.ok()?, it.next()?.ok()?, it.next()?.ok()?])
}

/// The first `model name` of a `/proc/cpuinfo`.
fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name")?.split_once(':'))
        .map(|(_, name)| name.trim().to_string())
}

/// A sysfs cache size such as `491520K` or `32M`, in bytes.
fn cache_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (digits, unit) = match s.strip_suffix('K') {
        Some(d) => (d, 1 << 10),
        None => match s.strip_suffix('M') {
            Some(d) => (d, 1 << 20),
            None => (s, 1),
        },
    };
    digits.parse::<u64>().ok().map(|v| v * unit)
}

/// A `kB` field of `/proc/meminfo`, in bytes.
fn meminfo_bytes(meminfo: &str, field: &str) -> Option<u64> {
    meminfo.lines().find_map(|l| {
        let rest = l.strip_prefix(field)?.strip_prefix(':')?;
        let kb = rest.trim().strip_suffix("kB")?.trim().parse::<u64>().ok()?;
        Some(kb * 1024)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_and_sys_formats() {
        assert_eq!(cache_size("491520K\n"), Some(491_520 * 1024));
        assert_eq!(cache_size("32M"), Some(32 << 20));
        assert_eq!(cache_size("x"), None);
        let meminfo = "MemTotal:       24576000 kB\nMemAvailable:   100 kB\n";
        assert_eq!(meminfo_bytes(meminfo, "MemTotal"), Some(24_576_000 * 1024));
        assert_eq!(meminfo_bytes(meminfo, "MemAvailable"), Some(102_400));
        assert_eq!(meminfo_bytes(meminfo, "MemFree"), None);
        let cpuinfo = "processor\t: 0\nmodel name\t: Some CPU @ 2GHz\n";
        assert_eq!(cpu_model(cpuinfo).as_deref(), Some("Some CPU @ 2GHz"));
    }

    #[test]
    fn stream_arrays_are_four_l3_capped_by_memory() {
        let mut m = Machine {
            cpu: None,
            threads: 2,
            l3_bytes: Some(100 << 20),
            memory_bytes: None,
            available_bytes: None,
        };
        assert_eq!(m.stream_elements(), (400 << 20) / 4);
        m.available_bytes = Some(1200 << 20);
        assert_eq!(m.stream_elements(), (100 << 20) / 4);
        m.l3_bytes = None;
        assert_eq!(m.stream_elements(), (64 << 20) / 4);
    }
}
