//! The scheduler's view of Xen: the PV clock, and blocking with the one-shot timer plus
//! `SCHEDOP_poll` so that an idle guest uses no CPU.

use super::{events, time};
use crate::sched::{Nanos, Platform, Port};
use alloc::vec::Vec;

/// Xen as a [`Platform`]: owns the port bound to `VIRQ_TIMER`.
pub struct XenPlatform {
    timer_port: u32,
}

impl XenPlatform {
    /// Uses `timer_port`, bound to `VIRQ_TIMER`, for deadlines.
    pub fn new(timer_port: u32) -> Self {
        XenPlatform { timer_port }
    }
}

impl Platform for XenPlatform {
    fn now(&self) -> Nanos {
        time::now()
    }

    fn block(&mut self, deadline: Option<Nanos>, ports: &[Port]) {
        let mut wait: Vec<u32> = Vec::with_capacity(ports.len() + 1);
        if let Some(deadline) = deadline {
            // A failure leaves no timer: fall back to polling with a timeout.
            if events::set_timer(deadline).is_ok() {
                wait.push(self.timer_port);
            }
        }
        wait.extend_from_slice(ports);
        // The poll's own timeout backs the timer up if set_timer_op failed.
        let timeout = deadline.unwrap_or(0);
        if wait.is_empty() && timeout == 0 {
            return;
        }
        // On error (bad port) return: the scheduler re-checks and blocks again.
        let _ = events::poll(&wait, timeout);
        events::take_pending(self.timer_port);
    }

    fn take_event(&mut self, port: Port) -> bool {
        events::take_pending(port)
    }
}
