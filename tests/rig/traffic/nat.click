// The traffic test's NAT (tests/rig/traffic/steps.sh): host A (vif 0, 10.1.0.1, MAC
// 02:00:0a:01:00:0a) reaches host B (vif 1, 10.1.0.2, MAC 02:00:0a:01:00:0b) as 10.1.0.100,
// which the guest answers ARP for on B's side with its vif 1 MAC. Other ARP passes, so A and
// B learn each other's MAC as on a wire; A's IP packets leave with source 10.1.0.100 and a
// port from 20000-29999, and B's replies come back translated. Nothing from B gets to A
// unless it belongs to a flow A started.
define($NAT 10.1.0.100, $NATMAC 00:16:3e:00:02:01,
       $AMAC 02:00:0a:01:00:0a, $BMAC 02:00:0a:01:00:0b);
rw :: IPRewriter(pattern $NAT 20000-29999# - - 0 1, drop);
FromDevice(0) -> fromA :: Classifier(12/0806, 12/0800, -);
FromDevice(1) -> fromB :: Classifier(12/0806 20/0001 38/0a010064, 12/0806, 12/0800, -);
toA :: ToDevice(0);
toB :: ToDevice(1);
fromA[0] -> toB;
fromA[1] -> Strip(14) -> CheckIPHeader -> [0]rw;
fromA[2] -> Discard;
fromB[0] -> ARPResponder($NAT $NATMAC) -> toB;
fromB[1] -> toA;
fromB[2] -> Strip(14) -> CheckIPHeader -> [1]rw;
fromB[3] -> Discard;
rw[0] -> EtherEncap(0x0800, $NATMAC, $BMAC) -> toB;
rw[1] -> EtherEncap(0x0800, $BMAC, $AMAC) -> toA;
