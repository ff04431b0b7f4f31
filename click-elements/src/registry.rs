//! The element class registry: maps class names to constructors.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;

use crate::element::Element;

/// Makes a fresh, unconfigured element.
pub type Constructor = fn() -> Box<dyn Element>;

/// A set of element classes the router can instantiate.
#[derive(Clone, Default)]
pub struct Registry {
    classes: BTreeMap<&'static str, Constructor>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// The registry of every element built into this crate (host-only elements included when
    /// the `std` feature is on).
    pub fn standard() -> Registry {
        let mut registry = Registry::new();
        crate::elements::register_standard(&mut registry);
        registry
    }

    /// Adds (or replaces) a class.
    pub fn register(&mut self, name: &'static str, constructor: Constructor) {
        self.classes.insert(name, constructor);
    }

    /// True when `name` is a known class.
    pub fn contains(&self, name: &str) -> bool {
        self.classes.contains_key(name)
    }

    /// Makes an element of class `name`.
    pub fn create(&self, name: &str) -> Option<Box<dyn Element>> {
        self.classes.get(name).map(|make| make())
    }

    /// The names of all classes, sorted.
    pub fn class_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.classes.keys().copied()
    }
}
