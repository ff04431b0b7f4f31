src :: FromDump(in.pcap, STOP true);
c :: Classifier(6/0200000000, 6/0200000001, -);
Discard@3 :: Discard;
rr :: RoundRobinIPMapper(192.0.2.1 1024-1030# - - 0 1, 192.0.2.2 1024-1030# - - 0 1);
rw :: IPRewriter(rr, drop);
CheckIPHeader@6 :: CheckIPHeader(14);
CheckIPHeader@7 :: CheckIPHeader(14);
ToDump@8 :: ToDump(out0.pcap);
ToDump@9 :: ToDump(out1.pcap);

src -> c
    -> CheckIPHeader@6
    -> rw
    -> ToDump@8;
c [2] -> Discard@3;
c [1] -> CheckIPHeader@7
    -> [1] rw;
rw [1] -> ToDump@9;
