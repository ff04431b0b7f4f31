// The traffic test's firewall (tests/rig/traffic/steps.sh): a bump in the wire between host A
// (vif 0, 10.1.0.1) and host B (vif 1, 10.1.0.2). ARP passes; IP from A goes through an
// IPFilter that refuses TCP to B's port 5003 and lets the rest pass; IP from B passes.
FromDevice(0) -> fromA :: Classifier(12/0806, 12/0800, -);
FromDevice(1) -> fromB :: Classifier(12/0806, 12/0800, -);
toA :: ToDevice(0);
toB :: ToDevice(1);
fromA[0] -> toB;
fromB[0] -> toA;
fromA[1] -> Strip(14) -> CheckIPHeader
    -> filter :: IPFilter(deny tcp && dst port 5003, allow all)
    -> Unstrip(14) -> toB;
fromB[1] -> toA;
fromA[2] -> Discard;
fromB[2] -> Discard;
