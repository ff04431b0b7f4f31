// IPRewriter as a destination NAT (load-balancer style) with 'pass' and 'keep' inputs.
src :: FromDump(in.pcap, STOP true);
src -> c :: Classifier(6/0200000000, 6/0200000001, 6/0200000002, -);
c[3] -> Discard;
rw :: IPRewriter(pattern - - 10.1.0.5 8080 0 1, pass 1, keep 2 2);
c[0] -> CheckIPHeader(14) -> [0]rw;
c[1] -> CheckIPHeader(14) -> [1]rw;
c[2] -> CheckIPHeader(14) -> [2]rw;
rw[0] -> ToDump(out0.pcap);
rw[1] -> ToDump(out1.pcap);
rw[2] -> ToDump(out2.pcap);
