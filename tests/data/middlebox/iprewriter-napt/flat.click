src :: FromDump(in.pcap, STOP true);
c :: Classifier(6/0200000000, 6/0200000001, -);
Discard@3 :: Discard;
rw :: IPRewriter(pattern 192.0.2.1 1024-1030# - - 0 1, drop);
CheckIPHeader@5 :: CheckIPHeader(14);
CheckIPHeader@6 :: CheckIPHeader(14);
ToDump@7 :: ToDump(out0.pcap);
ToDump@8 :: ToDump(out1.pcap);

src -> c
    -> CheckIPHeader@5
    -> rw
    -> ToDump@7;
c [2] -> Discard@3;
c [1] -> CheckIPHeader@6
    -> [1] rw;
rw [1] -> ToDump@8;
