// ClickOS seed use case: a ping and ARP responder on device 0.
// Answers ARP requests for $SIP with $SMAC and ICMP echo requests addressed to anyone.
// Addresses are set for the Xen rig (tools/rig): dom0 has 10.0.0.1/24 on xenbr0, the guest
// is 10.0.0.2 with the vif MAC of tests/rig/net.cfg.
define($SIP 10.0.0.2, $SMAC 00:16:3e:00:00:02);

FromDevice(0) -> c :: Classifier(12/0806 20/0001, 12/0806 20/0002, 12/0800, -);
sink :: ToDevice(0);
arpq :: ARPQuerier($SIP, $SMAC);
arpr :: ARPResponder($SIP $SMAC);
c[0] -> ARPPrint -> arpr -> sink;
c[1] -> [1]arpq;
Idle -> [0]arpq;
arpq -> ARPPrint -> sink;
c[2] -> CheckIPHeader(14) -> ICMPPingResponder -> EtherMirror -> sink;
c[3] -> Discard;
