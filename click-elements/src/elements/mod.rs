//! The element library.

use alloc::boxed::Box;

use crate::registry::Registry;

mod basic;
mod device;
mod driver;
#[cfg(feature = "std")]
mod dump;
mod queue;
mod source;

pub use basic::{Discard, Idle, Null};
pub use device::{FromDevice, ToDevice};
pub use driver::DriverManager;
#[cfg(feature = "std")]
pub use dump::{FromDump, ToDump};
pub use queue::{Queue, Unqueue};
pub use source::InfiniteSource;

/// Registers every built-in element class.
pub fn register_standard(registry: &mut Registry) {
    registry.register("Discard", || Box::new(Discard::default()));
    registry.register("Idle", || Box::new(Idle));
    registry.register("Null", || Box::new(Null));
    registry.register("FromDevice", || Box::new(FromDevice::default()));
    registry.register("ToDevice", || Box::new(ToDevice::default()));
    registry.register("DriverManager", || Box::new(DriverManager::default()));
    registry.register("InfiniteSource", || Box::new(InfiniteSource::default()));
    registry.register("Queue", || Box::new(Queue::default()));
    registry.register("Unqueue", || Box::new(Unqueue::default()));
    #[cfg(feature = "std")]
    {
        registry.register("FromDump", || Box::new(FromDump::default()));
        registry.register("ToDump", || Box::new(ToDump::default()));
    }
}
