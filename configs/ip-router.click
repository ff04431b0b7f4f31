// A two-interface IP router, laid out the way Click's conf/make-ip-conf.pl lays one out
// (RFC 1812 forwarding: header checks, routing table, broadcasts dropped, router options,
// TTL, fragmentation, ICMP errors on every error path).
//
// Interfaces (device N is the vif the toolstack numbered N, `device/vif/N`):
//   vif 0, "inside":  router 10.0.0.1 on 10.0.0.0/24, MAC $MAC0
//   vif 1, "outside": router 10.0.1.1 on 10.0.1.0/24, MAC $MAC1; default route via $GW
// The MACs must be the vifs' own (those below are the two vifs of the traffic rig guest,
// tests/rig/traffic/wire.cfg). Hosts on each network use the router's address there as their
// gateway, e.g. host A 10.0.0.2/24 via 10.0.0.1 on vif 0's bridge and host B 10.0.1.2/24 via
// 10.0.1.1 on vif 1's bridge. Change the addresses with the defines below (or with
// NAME=VALUE arguments to click-run); the routes and interface lists are written from them.
//
// Boot a guest with `ramdisk = "configs/ip-router.click"`, or install it later with
// `clickctl install DOMID configs/ip-router.click`.
//
// Differences from make-ip-conf.pl's output: devices are vif numbers; HostEtherFilter after
// FromDevice sets the packet-type annotation a NIC driver would (DropBroadcasts and ICMPError
// need it) and drops frames for other MACs; there is no host behind the router, so packets
// for the router itself are answered when they are pings (ICMPPingResponder) and dropped
// otherwise, and the ARP replies the script copies to the host are dropped; packets the
// router makes reach the routing table through a queue (below); the needfrag errors carry the
// next-hop MTU (PMTU).
define(
    $IP0 10.0.0.1, $NET0 10.0.0.0, $BCAST0 10.0.0.255, $MASK0 255.255.255.0,
    $MAC0 00:16:3e:00:02:00,
    $IP1 10.0.1.1, $NET1 10.0.1.0, $BCAST1 10.0.1.255, $MASK1 255.255.255.0,
    $MAC1 00:16:3e:00:02:01,
    $GW 10.0.1.254, $MTU 1500
);

// Shared IP input path and routing table. Output 0: the router itself; 1: vif 0; 2: vif 1.
ip :: Strip(14)
    -> CheckIPHeader(INTERFACES $IP0/$MASK0 $IP1/$MASK1)
    -> rt :: StaticIPLookup(
        $IP0/32 0,                  // this host
        $BCAST0/32 0,               // directed broadcast
        $NET0/32 0,                 // directed broadcast (obsolete)
        $IP1/32 0,
        $BCAST1/32 0,
        $NET1/32 0,
        $NET0/$MASK0 1,             // connected networks
        $NET1/$MASK1 2,
        255.255.255.255/32 0.0.0.0 0,   // limited broadcast
        0.0.0.0/32 0,               // limited broadcast (obsolete)
        0.0.0.0/0.0.0.0 $GW 2);     // default route

// What the router makes itself (ICMP errors, ping replies) goes back to the routing table
// through a queue: this runtime drops a packet pushed around a cycle (where Click would push
// into rt again from inside its own push), so Unqueue's task hands them to rt after the
// current burst instead.
back :: Queue(200) -> Unqueue -> rt;

// ARP responses are copied to each ARPQuerier (and, in make-ip-conf.pl, the host).
arpt :: Tee(3);

// Input and output paths for vif 0
c0 :: Classifier(12/0806 20/0001, 12/0806 20/0002, 12/0800, -);
FromDevice(0) -> HostEtherFilter($MAC0) -> c0;
out0 :: Queue(200) -> todevice0 :: ToDevice(0);
c0[0] -> ar0 :: ARPResponder($IP0 $MAC0) -> out0;
arpq0 :: ARPQuerier($IP0, $MAC0) -> out0;
c0[1] -> arpt;
arpt[0] -> [1]arpq0;
c0[2] -> Paint(1) -> ip;
c0[3] -> Print("vif0 non-IP") -> Discard;

// Input and output paths for vif 1
c1 :: Classifier(12/0806 20/0001, 12/0806 20/0002, 12/0800, -);
FromDevice(1) -> HostEtherFilter($MAC1) -> c1;
out1 :: Queue(200) -> todevice1 :: ToDevice(1);
c1[0] -> ar1 :: ARPResponder($IP1 $MAC1) -> out1;
arpq1 :: ARPQuerier($IP1, $MAC1) -> out1;
c1[1] -> arpt;
arpt[1] -> [1]arpq1;
c1[2] -> Paint(2) -> ip;
c1[3] -> Print("vif1 non-IP") -> Discard;

// Local delivery: pings to the router are answered and routed back; the rest is dropped.
toh :: Discard;
arpt[2] -> toh;
rt[0] -> ping :: ICMPPingResponder -> back;
ping[1] -> toh;

// Forwarding path for vif 0
rt[1] -> DropBroadcasts
    -> cp0 :: PaintTee(1)
    -> gio0 :: IPGWOptions($IP0)
    -> FixIPSrc($IP0)
    -> dt0 :: DecIPTTL
    -> fr0 :: IPFragmenter($MTU)
    -> [0]arpq0;
dt0[1] -> ICMPError($IP0, timeexceeded) -> back;
fr0[1] -> ICMPError($IP0, unreachable, needfrag, PMTU $MTU) -> back;
gio0[1] -> ICMPError($IP0, parameterproblem) -> back;
cp0[1] -> ICMPError($IP0, redirect, host) -> back;

// Forwarding path for vif 1
rt[2] -> DropBroadcasts
    -> cp1 :: PaintTee(2)
    -> gio1 :: IPGWOptions($IP1)
    -> FixIPSrc($IP1)
    -> dt1 :: DecIPTTL
    -> fr1 :: IPFragmenter($MTU)
    -> [0]arpq1;
dt1[1] -> ICMPError($IP1, timeexceeded) -> back;
fr1[1] -> ICMPError($IP1, unreachable, needfrag, PMTU $MTU) -> back;
gio1[1] -> ICMPError($IP1, parameterproblem) -> back;
cp1[1] -> ICMPError($IP1, redirect, host) -> back;
