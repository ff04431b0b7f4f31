// TCPRewriter and UDPRewriter side by side on the same traffic.
src :: FromDump(in.pcap, STOP true);
src -> c :: Classifier(6/0200000000, 6/0200000001, -);
c[2] -> Discard;
ti :: Tee; to :: Tee;
c[0] -> CheckIPHeader(14) -> ti;
c[1] -> CheckIPHeader(14) -> to;
trw :: TCPRewriter(pattern 192.0.2.1 2000-2001# - - 0 1, drop);
urw :: UDPRewriter(pattern 192.0.2.1 3000-3009# - - 0 1, drop);
ti[0] -> [0]trw; to[0] -> [1]trw;
ti[1] -> [0]urw; to[1] -> [1]urw;
trw[0] -> ToDump(out0.pcap);
trw[1] -> ToDump(out1.pcap);
urw[0] -> ToDump(out2.pcap);
urw[1] -> ToDump(out3.pcap);
