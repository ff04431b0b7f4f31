// A stateless IP firewall between two networks, in the style of ClickOS's firewall middlebox:
// a bump in the wire between vif 0 (inside) and vif 1 (outside). ARP passes both ways, so the
// hosts on either side see each other as on one link; IPv4 is checked (CheckIPHeader) and
// filtered with IPFilter rules in Click's tcpdump-like syntax; everything else is dropped.
//
// Usage: a guest with two vifs, vif 0 on the inside bridge and vif 1 on the outside one (e.g.
// `vif = [ 'bridge=xenbr1', 'bridge=xenbr2' ]`), booted with `ramdisk = "configs/firewall.click"`
// or configured with `clickctl install DOMID configs/firewall.click`. Edit the rules below:
// the first rule that matches decides; `allow` passes, `deny`/`drop` drop, and a packet no
// rule matches is dropped.
define($WEB 10.1.0.2);

FromDevice(0) -> from_in :: Classifier(12/0806, 12/0800, -);
FromDevice(1) -> from_out :: Classifier(12/0806, 12/0800, -);
to_in :: ToDevice(0);
to_out :: ToDevice(1);

// ARP is not filtered.
from_in[0] -> to_out;
from_out[0] -> to_in;

// Inside to outside: everything but SMB/NetBIOS and telnet leaves.
from_in[1] -> Strip(14) -> CheckIPHeader
    -> out_filter :: IPFilter(deny tcp && dst port 23,
                              deny (tcp || udp) && dst port 137 || dst port 138 || dst port 139 || dst port 445,
                              allow all)
    -> Unstrip(14) -> to_out;

// Outside to inside: ICMP echo and replies, web and SSH to the server, DNS answers; the rest
// is dropped.
from_out[1] -> Strip(14) -> CheckIPHeader
    -> in_filter :: IPFilter(allow icmp type echo || icmp type echo-reply,
                             allow tcp && dst host $WEB && (dst port www || dst port 443 || dst port ssh),
                             allow tcp && src port www && tcp opt ack,
                             allow udp && src port dns,
                             deny all)
    -> Unstrip(14) -> to_in;

from_in[2] -> Discard;
from_out[2] -> Discard;
