//! The seed use-case configurations in configs/ load: parsed, flattened, checked and
//! configured with the standard element library.

use std::path::Path;

use click_elements::{build_router, Registry};

fn load(name: &str) -> click_elements::Router {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../configs")
        .join(name);
    let src = std::fs::read_to_string(&path).expect("config file");
    build_router(&src, name, &[], &Registry::standard())
        .unwrap_or_else(|e| panic!("{name} does not load:\n{e}"))
}

#[test]
fn ping_responder_loads() {
    let router = load("ping-responder.click");
    assert!(router.find("c").is_some() && router.find("arpr").is_some());
    assert_eq!(
        router.read_handler("arpq", "class").as_deref(),
        Ok("ARPQuerier")
    );
}

#[test]
fn vlan_firewall_loads() {
    let router = load("vlan-firewall.click");
    assert_eq!(
        router.read_handler("c", "class").as_deref(),
        Ok("Classifier")
    );
    let ports = router.read_handler("c", "ports").expect("ports handler");
    assert!(ports.starts_with("1 input\n"), "{ports}");
    assert!(ports.contains("3 outputs"), "{ports}");
}
