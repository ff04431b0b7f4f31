//! A libvirt domain for a clickos-rs guest (`clickctl libvirt-xml`): what OpenStack Nova and
//! OpenVIM hand to libvirt's libxl driver. A Xen PV domain that always names its kernel (without
//! `<kernel>` libvirt falls back to pygrub, which fails without a disk), with the configuration
//! as its initrd (the guest's boot module) and bridged vifs set up by `vif-bridge`.

use std::fmt::Write as _;

/// A bridged vif: the bridge and, optionally, the MAC address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vif {
    /// The dom0 bridge, e.g. `xenbr0`.
    pub bridge: String,
    /// The MAC address (`None`: libvirt picks one).
    pub mac: Option<String>,
}

impl Vif {
    /// Parses `BRIDGE[,MAC]`.
    pub fn parse(spec: &str) -> Result<Vif, String> {
        let (bridge, mac) = match spec.split_once(',') {
            Some((b, m)) => (b, Some(m)),
            None => (spec, None),
        };
        if bridge.is_empty() {
            return Err(format!("--vif '{spec}': no bridge"));
        }
        if let Some(m) = mac {
            let ok = m.split(':').count() == 6
                && m.split(':')
                    .all(|b| b.len() == 2 && b.bytes().all(|c| c.is_ascii_hexdigit()));
            if !ok {
                return Err(format!("--vif '{spec}': '{m}' is not a MAC address"));
            }
        }
        Ok(Vif {
            bridge: bridge.to_string(),
            mac: mac.map(str::to_string),
        })
    }
}

/// The guest to describe.
#[derive(Clone, Debug)]
pub struct Guest {
    /// The domain name.
    pub name: String,
    /// The guest image (absolute path in dom0).
    pub image: String,
    /// A configuration to run at boot (absolute path in dom0), passed as the initrd.
    pub config: Option<String>,
    /// Memory in MiB.
    pub memory_mib: u32,
    /// The vifs, `device/vif/0` first.
    pub vifs: Vec<Vif>,
}

/// `s` with XML's special characters escaped.
fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&apos;")
        .replace('"', "&quot;")
}

impl Guest {
    /// The libvirt domain XML.
    pub fn domain_xml(&self) -> String {
        let mut x = String::new();
        let _ = writeln!(x, "<domain type='xen'>");
        let _ = writeln!(x, "  <name>{}</name>", xml(&self.name));
        let _ = writeln!(
            x,
            "  <memory unit='KiB'>{}</memory>",
            u64::from(self.memory_mib) * 1024
        );
        let _ = writeln!(x, "  <vcpu>1</vcpu>");
        let _ = writeln!(x, "  <os>");
        let _ = writeln!(x, "    <type arch='x86_64' machine='xenpv'>xen</type>");
        let _ = writeln!(x, "    <kernel>{}</kernel>", xml(&self.image));
        if let Some(config) = &self.config {
            let _ = writeln!(x, "    <initrd>{}</initrd>", xml(config));
        }
        let _ = writeln!(x, "  </os>");
        let _ = writeln!(x, "  <on_poweroff>destroy</on_poweroff>");
        let _ = writeln!(x, "  <on_reboot>destroy</on_reboot>");
        let _ = writeln!(x, "  <on_crash>destroy</on_crash>");
        let _ = writeln!(x, "  <devices>");
        for vif in &self.vifs {
            let _ = writeln!(x, "    <interface type='bridge'>");
            let _ = writeln!(x, "      <source bridge='{}'/>", xml(&vif.bridge));
            if let Some(mac) = &vif.mac {
                let _ = writeln!(x, "      <mac address='{}'/>", xml(mac));
            }
            let _ = writeln!(x, "      <script path='vif-bridge'/>");
            let _ = writeln!(x, "    </interface>");
        }
        let _ = writeln!(x, "    <console type='pty'>");
        let _ = writeln!(x, "      <target type='xen' port='0'/>");
        let _ = writeln!(x, "    </console>");
        let _ = writeln!(x, "  </devices>");
        let _ = writeln!(x, "</domain>");
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pv_domain_with_its_kernel_initrd_and_bridged_vifs() {
        let g = Guest {
            name: "clickos-fw".into(),
            image: "/var/lib/clickos/clickos-kernel.strip".into(),
            config: Some("/var/lib/clickos/fw&nat.click".into()),
            memory_mib: 8,
            vifs: vec![
                Vif::parse("xenbr1,00:16:3e:00:00:01").unwrap(),
                Vif::parse("xenbr2").unwrap(),
            ],
        };
        let x = g.domain_xml();
        assert!(x.starts_with("<domain type='xen'>\n  <name>clickos-fw</name>\n"));
        assert!(x.contains("<memory unit='KiB'>8192</memory>"));
        assert!(x.contains("<type arch='x86_64' machine='xenpv'>xen</type>"));
        assert!(x.contains("<kernel>/var/lib/clickos/clickos-kernel.strip</kernel>"));
        assert!(x.contains("<initrd>/var/lib/clickos/fw&amp;nat.click</initrd>"));
        assert_eq!(x.matches("<script path='vif-bridge'/>").count(), 2);
        let first = x.find("xenbr1").unwrap();
        assert!(first < x.find("xenbr2").unwrap(), "vif 0 comes first");
        assert!(x.contains("<mac address='00:16:3e:00:00:01'/>"));
        assert!(x.ends_with("</devices>\n</domain>\n"));
    }

    #[test]
    fn vif_specs_are_checked() {
        assert_eq!(
            Vif::parse("xenbr0").unwrap(),
            Vif {
                bridge: "xenbr0".into(),
                mac: None
            }
        );
        assert!(Vif::parse(",00:16:3e:00:00:01").is_err());
        assert!(Vif::parse("xenbr0,00:16:3e").is_err());
        assert!(Vif::parse("xenbr0,zz:16:3e:00:00:01").is_err());
    }
}
