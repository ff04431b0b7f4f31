// The seed service chain's ping responder (guest B behind the VLAN gateway and ToS firewall
// of configs/vlan-firewall.click): configs/ping-responder.click answering for 10.10.0.3.
define($SIP 10.10.0.3, $SMAC 00:16:3e:00:00:03);

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
