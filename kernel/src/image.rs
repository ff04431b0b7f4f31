//! What the image is built with: the configuration `kernel/build-image.sh --config FILE`
//! embeds (kernel/build.rs), and the element classes. The generic image has every standard
//! class; an image built for a configuration has only the classes that configuration uses.
//! The others are left out at link time: each one's `Registry::add` is behind a constant
//! `false`, so its code is never referenced. A configuration that names one of them (from
//! XenStore, the boot module or the command line) is refused with "element class 'NAME' is
//! not in this image (built for FILE)" where it names it.

use click_elements::class::ElementClass;
use click_elements::Registry;

/// A configuration built into the image.
#[derive(Clone, Copy)]
pub struct Embedded {
    /// Its file name.
    pub file: &'static str,
    /// Its text.
    pub text: &'static str,
    /// The classes of its elements once compounds are expanded, sorted.
    pub classes: &'static [&'static str],
    /// The standard classes it does not use, sorted: the classes left out of the image.
    pub left_out: &'static [&'static str],
}

include!(concat!(env!("OUT_DIR"), "/embedded_config.rs"));

/// True when the image has element class `name`: every class, or with an embedded
/// configuration only those it uses.
pub const fn has_class(name: &str) -> bool {
    match EMBEDDED {
        None => true,
        Some(embedded) => lists(embedded.classes, name),
    }
}

/// True when `names` holds `name` (a `const fn`, unlike `contains`).
const fn lists(names: &[&str], name: &str) -> bool {
    let mut i = 0;
    while i < names.len() {
        if names[i].len() == name.len() {
            let (a, b) = (names[i].as_bytes(), name.as_bytes());
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            if j == a.len() {
                return true;
            }
        }
        i += 1;
    }
    false
}

/// The element classes of the image, with the standard classes it lacks left out (named
/// with the configuration the image was built for).
pub fn registry() -> Registry {
    let mut registry = Registry::new();
    macro_rules! add {
        ($class:path) => {
            if const { has_class(<$class as ElementClass>::NAME) } {
                registry.add::<$class>();
            }
        };
    }
    click_elements::for_each_standard_class!(add);
    if let Some(embedded) = EMBEDDED {
        registry.leave_out(embedded.left_out, embedded.file);
    }
    registry
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_compared_whole() {
        let names = ["Counter", "Discard", "IPFilter"];
        assert!(lists(&names, "Discard") && lists(&names, "IPFilter"));
        for absent in ["", "Disc", "Discards", "IPFilte", "Null"] {
            assert!(!lists(&names, absent), "{absent}");
        }
        assert!(!lists(&[], "Discard"));
    }

    #[test]
    fn the_registry_has_the_image_classes_and_knows_the_others() {
        // Every class in a host build, which embeds no configuration.
        let registry = registry();
        let mut kept = 0;
        macro_rules! check {
            ($class:path) => {
                let name = <$class as ElementClass>::NAME;
                assert_eq!(registry.contains(name), has_class(name), "{name}");
                assert!(registry.knows(name), "{name}");
                kept += usize::from(has_class(name));
            };
        }
        click_elements::for_each_standard_class!(check);
        assert_eq!(registry.class_names().count(), kept);
        assert!(EMBEDDED.is_some() || kept >= 70, "{kept}");
    }
}
