src :: FromDump(in.pcap, STOP true);
c :: Classifier(6/0200000000, 6/0200000001, 6/0200000002, -);
Discard@3 :: Discard;
rw :: IPRewriter(pattern - - 10.1.0.5 8080 0 1, pass 1, keep 2 2);
CheckIPHeader@5 :: CheckIPHeader(14);
CheckIPHeader@6 :: CheckIPHeader(14);
CheckIPHeader@7 :: CheckIPHeader(14);
ToDump@8 :: ToDump(out0.pcap);
ToDump@9 :: ToDump(out1.pcap);
ToDump@10 :: ToDump(out2.pcap);

src -> c
    -> CheckIPHeader@5
    -> rw
    -> ToDump@8;
c [3] -> Discard@3;
c [1] -> CheckIPHeader@6
    -> [1] rw;
c [2] -> CheckIPHeader@7
    -> [2] rw;
rw [1] -> ToDump@9;
rw [2] -> ToDump@10;
