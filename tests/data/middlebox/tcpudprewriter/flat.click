src :: FromDump(in.pcap, STOP true);
c :: Classifier(6/0200000000, 6/0200000001, -);
Discard@3 :: Discard;
ti :: Tee;
to :: Tee;
CheckIPHeader@6 :: CheckIPHeader(14);
CheckIPHeader@7 :: CheckIPHeader(14);
trw :: TCPRewriter(pattern 192.0.2.1 2000-2001# - - 0 1, drop);
urw :: UDPRewriter(pattern 192.0.2.1 3000-3009# - - 0 1, drop);
ToDump@10 :: ToDump(out0.pcap);
ToDump@11 :: ToDump(out1.pcap);
ToDump@12 :: ToDump(out2.pcap);
ToDump@13 :: ToDump(out3.pcap);

src -> c
    -> CheckIPHeader@6
    -> ti
    -> trw
    -> ToDump@10;
c [2] -> Discard@3;
c [1] -> CheckIPHeader@7
    -> to
    -> [1] trw;
ti [1] -> urw
    -> ToDump@12;
to [1] -> [1] urw;
trw [1] -> ToDump@11;
urw [1] -> ToDump@13;
