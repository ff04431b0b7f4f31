//! Event channels: binding, sending, masking, polling.
//!
//! The guest never takes event upcalls (the vCPU's upcall mask stays set and no callback is
//! registered); it waits for events with `SCHEDOP_poll`, which blocks the vCPU until one of
//! the given ports is pending or a timeout passes, and then tests and clears pending bits.

use super::abi::*;
use super::hypercall::{check, hypercall, Errno};
use super::shared_info;

fn evtchn_op<T>(cmd: u64, arg: &mut T) -> Result<u64, Errno> {
    // SAFETY: `arg` is a live, correctly laid out argument structure for `cmd` (the callers
    // pass the matching `abi` structure).
    check(unsafe {
        hypercall(
            HYPERVISOR_EVENT_CHANNEL_OP,
            cmd,
            arg as *mut T as u64,
            0,
            0,
            0,
        )
    })
}

/// Binds virtual IRQ `virq` of vCPU 0 to a new port, masked.
pub fn bind_virq(virq: u32) -> Result<u32, Errno> {
    let mut op = EvtchnBindVirq {
        virq,
        vcpu: 0,
        port: 0,
    };
    evtchn_op(EVTCHNOP_BIND_VIRQ, &mut op)?;
    mask(op.port);
    Ok(op.port)
}

/// Notifies the other end of `port`.
pub fn send(port: u32) {
    let mut op = EvtchnPort { port };
    // A failed notification cannot be reported anywhere useful (the console itself uses it).
    let _ = evtchn_op(EVTCHNOP_SEND, &mut op);
}

/// Masks `port`: it no longer raises upcalls (it still becomes pending and wakes pollers).
pub fn mask(port: u32) {
    shared_info::set_mask(port, true);
}

/// Unmasks `port` through Xen, which re-raises the event if it was pending meanwhile.
pub fn unmask(port: u32) -> Result<(), Errno> {
    let mut op = EvtchnPort { port };
    evtchn_op(EVTCHNOP_UNMASK, &mut op).map(|_| ())
}

/// Clears `port`'s pending bit, returning whether it was set.
pub fn take_pending(port: u32) -> bool {
    shared_info::test_and_clear_pending(port)
}

/// Blocks until one of `ports` is pending or system time `timeout` (0: none) has passed.
pub fn poll(ports: &[u32], timeout: u64) -> Result<(), Errno> {
    let mut arg = SchedPoll {
        ports: ports.as_ptr(),
        nr_ports: ports.len() as u32,
        timeout,
    };
    // SAFETY: `arg` points to `ports`, which outlives the call.
    check(unsafe {
        hypercall(
            HYPERVISOR_SCHED_OP,
            SCHEDOP_POLL,
            &mut arg as *mut SchedPoll as u64,
            0,
            0,
            0,
        )
    })
    .map(|_| ())
}

/// Blocks until `port` is pending or `timeout` passed, then clears its pending bit.
pub fn poll_one(port: u32, timeout: u64) {
    // On failure (a bad port) there is nothing to wait for: return, callers bound their waits.
    let _ = poll(&[port], timeout);
    take_pending(port);
}

/// Arms the one-shot timer (`set_timer_op`) for system time `deadline`; 0 disarms it.
/// It fires `VIRQ_TIMER`, at once if the deadline has already passed.
pub fn set_timer(deadline: u64) -> Result<(), Errno> {
    // SAFETY: set_timer_op takes a plain integer.
    check(unsafe { hypercall(HYPERVISOR_SET_TIMER_OP, deadline, 0, 0, 0, 0) }).map(|_| ())
}

/// Allocates a port that domain `remote` may bind to (masked: the guest polls).
pub fn alloc_unbound(remote: u16) -> Result<u32, Errno> {
    let mut op = EvtchnAllocUnbound {
        dom: DOMID_SELF as u16,
        remote_dom: remote,
        port: 0,
    };
    evtchn_op(EVTCHNOP_ALLOC_UNBOUND, &mut op)?;
    mask(op.port);
    Ok(op.port)
}

/// Closes `port`.
pub fn close(port: u32) -> Result<(), Errno> {
    let mut op = EvtchnPort { port };
    evtchn_op(EVTCHNOP_CLOSE, &mut op).map(|_| ())
}

/// Event channels as netfront's platform.
#[derive(Clone, Copy, Debug, Default)]
pub struct XenEventChannel;

impl netfront::EventChannel for XenEventChannel {
    fn alloc_unbound(&mut self, remote: netfront::DomId) -> Result<u32, netfront::PlatformError> {
        alloc_unbound(remote).map_err(|e| netfront::PlatformError::Failed(e.0 as i32))
    }

    fn notify(&mut self, port: u32) {
        send(port);
    }

    fn close(&mut self, port: u32) {
        let _ = close(port);
    }
}
