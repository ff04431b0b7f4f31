//! The PV clock: Xen system time (ns since host boot) from the TSC and the per-vCPU
//! `vcpu_time_info` that Xen keeps in shared info.

use super::abi::VcpuTimeInfo;

/// Converts a TSC difference to nanoseconds with the record's shift and 32.32 multiplier.
pub fn scale_delta(delta: u64, mul: u32, shift: i8) -> u64 {
    let shifted = if shift >= 0 {
        delta << shift
    } else {
        delta >> shift.unsigned_abs()
    };
    ((u128::from(shifted) * u128::from(mul)) >> 32) as u64
}

/// System time at TSC value `tsc`, per a consistent snapshot of the time record. `tsc` may be
/// before the snapshot (e.g. the TSC read at entry, before Xen refreshed the record).
pub fn system_time_at(rec: &VcpuTimeInfo, tsc: u64) -> u64 {
    if tsc >= rec.tsc_timestamp {
        rec.system_time
            + scale_delta(
                tsc - rec.tsc_timestamp,
                rec.tsc_to_system_mul,
                rec.tsc_shift,
            )
    } else {
        rec.system_time.saturating_sub(scale_delta(
            rec.tsc_timestamp - tsc,
            rec.tsc_to_system_mul,
            rec.tsc_shift,
        ))
    }
}

#[cfg(target_os = "none")]
pub use guest::*;

#[cfg(target_os = "none")]
mod guest {
    use super::system_time_at;
    use crate::arch::x86_64::cpu;
    use crate::xen::shared_info;

    /// The current Xen system time in nanoseconds.
    pub fn now() -> u64 {
        let rec = shared_info::time_record();
        system_time_at(&rec, cpu::rdtsc())
    }

    /// The system time at which the guest entered `_start` (from the TSC it read first).
    /// Call it soon after boot: the conversion uses the current clock record, and records of
    /// different physical CPUs may disagree slightly about old TSC values.
    pub fn entry_time() -> u64 {
        let rec = shared_info::time_record();
        system_time_at(&rec, cpu::entry_tsc())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_with_both_shift_directions() {
        // mul = 2^31 halves the value.
        assert_eq!(scale_delta(1000, 1 << 31, 0), 500);
        assert_eq!(scale_delta(1000, 1 << 31, 1), 1000);
        assert_eq!(scale_delta(1000, 1 << 31, -1), 250);
        // 3 GHz TSC: ~0.333 ns per tick.
        assert_eq!(scale_delta(3_000_000_000, 0x5555_5555, 0), 999_999_999);
        // Large deltas do not overflow.
        assert_eq!(
            scale_delta(u64::MAX >> 2, u32::MAX, 0),
            4_611_686_017_353_646_079
        );
    }

    #[test]
    fn time_before_and_after_the_snapshot() {
        let rec = VcpuTimeInfo {
            tsc_timestamp: 10_000,
            system_time: 1_000_000,
            tsc_to_system_mul: 1 << 31,
            ..VcpuTimeInfo::default()
        };
        assert_eq!(system_time_at(&rec, 12_000), 1_001_000);
        assert_eq!(system_time_at(&rec, 8_000), 999_000);
        assert_eq!(system_time_at(&rec, 0), 995_000);
    }
}
