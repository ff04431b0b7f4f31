// ClickOS seed use case: VLAN gateway and ToS firewall.
// From the VLAN side (device 0): strip the tag, pass ARP and IPv4 with ToS 0xcc to device 1,
// print and drop the rest. From device 1: tag with VLAN 100 and send to device 0.
source0 :: FromDevice(0);  sink0 :: ToDevice(1);
source1 :: FromDevice(1);  sink1 :: ToDevice(0);
c :: Classifier(12/0806, 12/0800 15/cc, -);   // ARP, IPv4 with ToS 0xcc, the rest
source0 -> VLANDecap -> c;
c[0] -> sink0;  c[1] -> sink0;  c[2] -> Print -> Discard;
source1 -> VLANEncap(100) -> sink1;
