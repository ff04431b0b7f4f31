// IPRewriter NAPT: inside flows get 192.0.2.1 and ports 1024-1030 sequentially ('#'); replies
// on the 'drop' input are translated by the mappings.
src :: FromDump(in.pcap, STOP true);
src -> c :: Classifier(6/0200000000, 6/0200000001, -);
c[2] -> Discard;
rw :: IPRewriter(pattern 192.0.2.1 1024-1030# - - 0 1, drop);
c[0] -> CheckIPHeader(14) -> [0]rw;
c[1] -> CheckIPHeader(14) -> [1]rw;
rw[0] -> ToDump(out0.pcap);
rw[1] -> ToDump(out1.pcap);
