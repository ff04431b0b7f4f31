//! Fuzzes the configuration path: parse, flatten and build a router from arbitrary text. Any
//! panic is a bug; errors are expected.
#![no_main]

use click_elements::{build_router, Registry};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let registry = Registry::standard();
    if let Ok(router) = build_router(&text, "fuzz.click", &[], &registry) {
        let _ = router.flat_text();
    }
});
