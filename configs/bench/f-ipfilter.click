// (f) a small IPFilter firewall behind CheckIPHeader: the ICMP echo request from 10.10.0.1
// matches the first rule after the rules' tests of protocol, fragment, address and ICMP type.
define($N 20000000);
src :: InfiniteSource(DATA \<001517155d7500112233445508004500002e00010000400166b70a0a00010a0a000308009d7912340001000102030405060708090a0b0c0d0e0f1011>, LIMIT $N, STOP true)
  -> CheckIPHeader(14)
  -> f :: IPFilter(allow src host 10.10.0.1 && icmp type echo,
                   deny tcp && dst port 22,
                   1 udp && (dst port 53 or dst port 123),
                   drop all);
f[0] -> cnt :: Counter -> Discard;
f[1] -> Discard;
