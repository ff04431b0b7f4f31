//! The element class registry: the classes a router can instantiate, by name, each with the
//! declarations of its [`ElementClass`](crate::class::ElementClass).

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;

use crate::class::{ClassInfo, ElementClass};
use crate::element::Element;

/// A set of element classes the router can instantiate.
#[derive(Clone, Default)]
pub struct Registry {
    classes: BTreeMap<&'static str, ClassInfo>,
    /// Classes that exist but were left out (see [`Registry::leave_out`]).
    left_out: &'static [&'static str],
    /// The configuration they were left out for.
    built_for: &'static str,
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

    /// Records that classes `names`, which this registry does not have, exist: a guest image
    /// built for configuration `built_for` (a file name) has only the classes that
    /// configuration uses. A configuration naming one parses, and is refused where it names
    /// it with "element class 'NAME' is not in this image (built for FILE)" rather than as an
    /// unknown class. Replaces the classes of an earlier call; adding a class makes it a class
    /// of the registry again.
    pub fn leave_out(&mut self, names: &'static [&'static str], built_for: &'static str) {
        self.left_out = names;
        self.built_for = built_for;
    }

    /// True when `name` is a class of this registry.
    pub fn contains(&self, name: &str) -> bool {
        self.classes.contains_key(name)
    }

    /// True when `name` is a class of this registry or one left out of it: the class names a
    /// configuration may use without being an error of the language.
    pub fn knows(&self, name: &str) -> bool {
        self.contains(name) || self.left_out.contains(&name)
    }

    /// Why `name` cannot be instantiated: a class left out of this registry, or an unknown
    /// one.
    pub fn missing(&self, name: &str) -> String {
        if self.left_out.contains(&name) {
            format!(
                "element class '{name}' is not in this image (built for {})",
                self.built_for
            )
        } else {
            format!("unknown element class '{name}'")
        }
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
        registry.leave_out(&["IPFilter"], "wire.click");
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
