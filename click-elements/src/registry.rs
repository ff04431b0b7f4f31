//! The element class registry: the classes a router can instantiate, by name, each with the
//! declarations of its [`ElementClass`](crate::class::ElementClass).

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::class::{ClassInfo, ElementClass};
use crate::element::Element;

/// A set of element classes the router can instantiate.
#[derive(Clone, Default)]
pub struct Registry {
    classes: BTreeMap<&'static str, ClassInfo>,
    /// Classes that exist but were left out, with the configuration the registry is for (see
    /// [`Registry::leave_out`]). Looked up only to parse and report, so a list: a map of
    /// these types would be one more copy of the map code in the image.
    left_out: Vec<(&'static str, &'static str)>,
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

    /// Records that class `name`, which this registry does not have, exists: a guest image
    /// built for configuration `built_for` (a file name) has only the classes that
    /// configuration uses. A configuration naming it parses, and is refused where it names it
    /// with "element class 'NAME' is not in this image (built for FILE)" rather than as an
    /// unknown class. (Adding the class later makes it a class of the registry again.)
    pub fn leave_out(&mut self, name: &'static str, built_for: &'static str) {
        self.left_out.push((name, built_for));
    }

    /// True when `name` is a class of this registry.
    pub fn contains(&self, name: &str) -> bool {
        self.classes.contains_key(name)
    }

    /// True when `name` is a class of this registry or one left out of it: the class names a
    /// configuration may use without being an error of the language.
    pub fn knows(&self, name: &str) -> bool {
        self.contains(name) || self.built_for(name).is_some()
    }

    /// Why `name` cannot be instantiated: a class left out of this registry, or an unknown
    /// one.
    pub fn missing(&self, name: &str) -> String {
        match self.built_for(name) {
            Some(file) => format!("element class '{name}' is not in this image (built for {file})"),
            None => format!("unknown element class '{name}'"),
        }
    }

    /// The configuration class `name` was left out for, if it was.
    fn built_for(&self, name: &str) -> Option<&'static str> {
        self.left_out
            .iter()
            .find(|(left_out, _)| *left_out == name)
            .map(|(_, file)| *file)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elements::{Discard, IPFilter, Idle};
    use alloc::string::ToString;

    fn build(registry: &Registry, config: &str) -> Result<(), String> {
        crate::build_router(config, "x.click", &[], registry)
            .map(drop)
            .map_err(|d| d.to_string())
    }

    #[test]
    fn a_left_out_class_is_refused_where_it_is_named() {
        let mut registry = Registry::new();
        registry.add::<Idle>();
        registry.add::<Discard>();
        registry.leave_out("IPFilter", "wire.click");
        assert!(!registry.contains("IPFilter") && registry.knows("IPFilter"));
        let message = "element class 'IPFilter' is not in this image (built for wire.click)";
        // Declared, and used anonymously inside a compound.
        let declared = build(&registry, "Idle\n  -> f :: IPFilter(allow all) -> Discard;");
        assert_eq!(declared, Err(format!("x.click:2:6: {message}")));
        let anonymous = build(
            &registry,
            "elementclass F { input -> IPFilter(allow all) -> output }\nIdle -> F -> Discard;",
        );
        assert!(
            anonymous.as_ref().unwrap_err().contains(message),
            "{anonymous:?}"
        );
        // Other names are as before.
        let unknown = build(&registry, "Idle -> n :: Nope -> Discard;");
        assert!(unknown
            .as_ref()
            .unwrap_err()
            .contains("unknown element class 'Nope'"));
        registry.add::<IPFilter>();
        assert_eq!(
            build(&registry, "Idle -> IPFilter(allow all) -> Discard;"),
            Ok(())
        );
    }
}
