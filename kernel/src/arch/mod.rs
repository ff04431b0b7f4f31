//! Architecture support: entry, CPU helpers and traps of the x86_64 PV guest.

pub mod x86_64;
