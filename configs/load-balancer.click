// Round-robin load balancer for TCP and UDP services behind one virtual address.
//
// Clients reach the virtual address $VIP on device 0 (the front). Each new flow goes to the
// next of three backends on device 1 (the back): IPRewriter asks RoundRobinIPMapper for a
// mapping, which rewrites the destination address to a backend and keeps the ports, and every
// later packet of the flow follows the same mapping. Replies from the backends get $VIP back
// as their source address and leave on device 0 towards the client (directly on $FRONT_NET,
// through $FRONT_GW otherwise). Other protocols to $VIP (ICMP included) are dropped: there is
// no flow to map them to.
//
// Usage: a guest with two vifs, device N being the vif the toolstack numbered N
// (`device/vif/N`): vif 0 on the clients' bridge, vif 1 on the backends' bridge. Boot it with
// `ramdisk = "configs/load-balancer.click"`, or install it later with
// `clickctl install DOMID configs/load-balancer.click`. Before that, edit the define() below:
//   $VIP, $FRONT_MAC   the service address and the MAC of vif 0;
//   $FRONT_NET         the clients' subnet on device 0, $FRONT_GW the router to the others;
//   $BACK_IP, $BACK_MAC  the balancer's address on the backends' subnet and the MAC of vif 1;
//   $B1 $B2 $B3        the backends (add patterns to RoundRobinIPMapper for more);
//   $VIP_HEX           $VIP in hex for the Classifier (10.0.0.100 = 0a000064).
// The backends serve on the same ports as $VIP, and must send their replies through the
// balancer: make $BACK_IP their default gateway (or their route to the clients).
// Handlers: `front_rt.table`, `front_rt.add` and `front_rt.remove` show and change the routes
// to the clients while the balancer runs, e.g. `clickctl write DOMID front_rt.add
// "172.16.0.0/12 10.0.0.254 0"`.
define($VIP 10.0.0.100, $VIP_HEX 0a000064, $FRONT_MAC 00:16:3e:00:00:64,
       $FRONT_NET 10.0.0.0/24, $FRONT_GW 10.0.0.1,
       $BACK_IP 192.168.1.1, $BACK_MAC 00:16:3e:00:01:01,
       $B1 192.168.1.11, $B2 192.168.1.12, $B3 192.168.1.13);

// One mapping per flow: source kept, destination address a backend, destination port kept;
// forward packets leave the rewriter on output 0, replies on output 1.
rr :: RoundRobinIPMapper(- - $B1 - 0 1, - - $B2 - 0 1, - - $B3 - 0 1);
// Input 0: from clients, new flows mapped by rr. Input 1: from backends, replies to existing
// flows only.
rw :: IPRewriter(rr, drop);

// The front: ARP for $VIP, TCP/UDP to $VIP into the rewriter.
front_in :: FromDevice(0);
front_out :: ToDevice(0);
front_arpq :: ARPQuerier($VIP, $FRONT_MAC);
front_in -> fc :: Classifier(12/0806 20/0001, 12/0806 20/0002, 12/0800 30/$VIP_HEX, -);
fc[0] -> ARPResponder($VIP $FRONT_MAC) -> front_out;
fc[1] -> [1]front_arpq;
fc[2] -> Strip(14) -> CheckIPHeader -> [0]rw;
fc[3] -> Discard;

// The back: ARP for $BACK_IP, packets from the backends into the rewriter as replies.
back_in :: FromDevice(1);
back_out :: ToDevice(1);
back_arpq :: ARPQuerier($BACK_IP, $BACK_MAC);
back_in -> bc :: Classifier(12/0806 20/0001, 12/0806 20/0002, 12/0800, -);
bc[0] -> ARPResponder($BACK_IP $BACK_MAC) -> back_out;
bc[1] -> [1]back_arpq;
bc[2] -> Strip(14) -> CheckIPHeader -> [1]rw;
bc[3] -> Discard;

// Flows to the backends: the backend is on the back subnet, so it is the next hop.
rw[0] -> GetIPAddress(16) -> back_arpq -> back_out;
// Replies to the clients: the next hop from the front routes.
rw[1] -> GetIPAddress(16)
      -> front_rt :: RadixIPLookup($FRONT_NET 0, 0.0.0.0/0 $FRONT_GW 0)
      -> front_arpq -> front_out;
