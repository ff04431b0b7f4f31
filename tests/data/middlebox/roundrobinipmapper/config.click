// RoundRobinIPMapper: new flows take the mapper's patterns in turn.
src :: FromDump(in.pcap, STOP true);
src -> c :: Classifier(6/0200000000, 6/0200000001, -);
c[2] -> Discard;
rr :: RoundRobinIPMapper(192.0.2.1 1024-1030# - - 0 1, 192.0.2.2 1024-1030# - - 0 1);
rw :: IPRewriter(rr, drop);
c[0] -> CheckIPHeader(14) -> [0]rw;
c[1] -> CheckIPHeader(14) -> [1]rw;
rw[0] -> ToDump(out0.pcap);
rw[1] -> ToDump(out1.pcap);
