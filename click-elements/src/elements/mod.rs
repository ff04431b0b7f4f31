//! The element library.

use alloc::boxed::Box;

use crate::registry::Registry;

mod basic;

pub use basic::{Discard, Idle, Null};

/// Registers every built-in element class.
pub fn register_standard(registry: &mut Registry) {
    registry.register("Discard", || Box::new(Discard::default()));
    registry.register("Idle", || Box::new(Idle));
    registry.register("Null", || Box::new(Null));
}
