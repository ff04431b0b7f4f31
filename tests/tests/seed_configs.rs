//! The seed use-case configurations in configs/ load: parsed, flattened, checked and
//! configured with the standard element library.

use std::path::Path;

use click_elements::{build_router, Registry};

fn try_load(name: &str) -> Result<click_elements::Router, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../configs")
        .join(name);
    let src = std::fs::read_to_string(&path).expect("config file");
    build_router(&src, name, &[], &Registry::standard()).map_err(|e| e.to_string())
}

fn load(name: &str) -> click_elements::Router {
    try_load(name).unwrap_or_else(|e| panic!("{name} does not load:\n{e}"))
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

#[test]
fn load_balancer_loads() {
    let router = load("load-balancer.click");
    assert_eq!(
        router.read_handler("rw", "class").as_deref(),
        Ok("IPRewriter")
    );
    assert_eq!(
        router.read_handler("front_rt", "table").as_deref(),
        Ok("10.0.0.0/24\t\t-\t\t0\n0.0.0.0/0\t\t10.0.0.1\t0\n")
    );
}

/// Every configuration shipped in configs/ (the middleboxes included) loads.
#[test]
fn every_shipped_configuration_loads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("configs/")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".click"))
        .collect();
    names.sort();
    for required in [
        "firewall.click",
        "nat.click",
        "load-balancer.click",
        "ip-router.click",
    ] {
        assert!(
            names.iter().any(|n| n == required),
            "configs/{required} is missing"
        );
    }
    for name in &names {
        load(name);
    }
}
