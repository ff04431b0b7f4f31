//! The element class registry: the classes a router can instantiate, by name, each with the
//! declarations of its [`ElementClass`](crate::class::ElementClass).

use alloc::boxed::Box;
use alloc::collections::BTreeMap;

use crate::class::{ClassInfo, ElementClass};
use crate::element::Element;

/// A set of element classes the router can instantiate.
#[derive(Clone, Default)]
pub struct Registry {
    classes: BTreeMap<&'static str, ClassInfo>,
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

    /// Adds (or replaces) class `E` under its declared name.
    pub fn add<E: ElementClass>(&mut self) {
        self.insert(ClassInfo::of::<E>());
    }

    /// Adds (or replaces) a class from its declarations.
    pub fn insert(&mut self, info: ClassInfo) {
        self.classes.insert(info.name, info);
    }

    /// True when `name` is a known class.
    pub fn contains(&self, name: &str) -> bool {
        self.classes.contains_key(name)
    }

    /// The declarations of class `name`.
    pub fn class(&self, name: &str) -> Option<&ClassInfo> {
        self.classes.get(name)
    }

    /// Makes an element of class `name`.
    pub fn create(&self, name: &str) -> Option<Box<dyn Element>> {
        self.classes.get(name).map(|info| (info.make)())
    }

    /// The names of all classes, sorted.
    pub fn class_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.classes.keys().copied()
    }

    /// The declarations of all classes, sorted by name.
    pub fn classes(&self) -> impl Iterator<Item = &ClassInfo> + '_ {
        self.classes.values()
    }
}
