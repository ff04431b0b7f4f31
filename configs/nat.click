// nat.click: a NAPT (IPRewriter) between an inside network on vif 0 and an outside network on
// vif 1.
//
//   vif 0, inside:  the NAT is 10.0.0.1/24 ($IN_IP, $IN_MAC); inside hosts (10.0.0.0/24) use it
//                   as their default gateway.
//   vif 1, outside: the NAT is 192.0.2.1/24 ($OUT_IP, $OUT_MAC); everything leaves through the
//                   outside router 192.0.2.254 ($GW).
//
// TCP and UDP flows from inside leave from $OUT_IP with source ports 1024-65535, allocated
// sequentially ('#'); replies are translated back and sent to the inside host. Anything else
// from inside (ICMP, later fragments) is dropped, and so is outside traffic that belongs to no
// mapping. The table keeps at most 4096 flows (MAPPING_CAPACITY): when it is full of flows
// still guaranteed (5 s after their last packet), new flows are refused and counted in
// nat.mapping_failures; flows expire after Click's timeouts (TCP_TIMEOUT, UDP_TIMEOUT, ...),
// reaped every REAP_INTERVAL.
//
// Both sides answer ARP for their own address and ask ARP for next hops. Change the define()
// to fit your networks, e.g. `click-run configs/nat.click GW=198.51.100.1`. In a guest, the
// first vif (0) must be on the inside bridge and the second (1) on the outside one. Watch it
// with the handlers nat.tcp_table, nat.udp_table, nat.size and nat.mapping_failures.
define($IN_IP 10.0.0.1, $IN_MAC 00:16:3e:00:00:01,
       $OUT_IP 192.0.2.1, $OUT_MAC 00:16:3e:00:01:01, $GW 192.0.2.254);

nat :: IPRewriter(pattern $OUT_IP 1024-65535# - - 0 1, drop, MAPPING_CAPACITY 4096);

// Inside: vif 0.
in_tx :: ToDevice(0);
in_arpq :: ARPQuerier($IN_IP, $IN_MAC);
FromDevice(0) -> in_c :: Classifier(12/0806 20/0001, 12/0806 20/0002, 12/0800, -);
in_c[0] -> ARPResponder($IN_IP $IN_MAC) -> in_tx;
in_c[1] -> [1]in_arpq;
in_c[2] -> Strip(14) -> CheckIPHeader -> [0]nat;
in_c[3] -> Discard;

// Outside: vif 1.
out_tx :: ToDevice(1);
out_arpq :: ARPQuerier($OUT_IP, $OUT_MAC);
FromDevice(1) -> out_c :: Classifier(12/0806 20/0001, 12/0806 20/0002, 12/0800, -);
out_c[0] -> ARPResponder($OUT_IP $OUT_MAC) -> out_tx;
out_c[1] -> [1]out_arpq;
out_c[2] -> Strip(14) -> CheckIPHeader -> [1]nat;
out_c[3] -> Discard;

// Outbound flows go to the outside router; replies to the inside host (the rewriter sets the
// destination annotation to the translated destination).
nat[0] -> SetIPAddress($GW) -> [0]out_arpq -> out_tx;
nat[1] -> [0]in_arpq -> in_tx;
