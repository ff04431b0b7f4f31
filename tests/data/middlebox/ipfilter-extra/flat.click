FromDump@1 :: FromDump(in.pcap, STOP true);
CheckIPHeader@2 :: CheckIPHeader(14);
t :: Tee(2);
c :: IPClassifier(
    ip unfrag and tcp opt syn and not tcp opt ack,       // [0]
    src and dst host 10.0.0.3,                           // [1]
    tcp src port 80 or 443 or 22,                        // [2]
    udp and src or dst port dns,                         // [3]
    dst port >= 1024 and dst port < 6011 and tcp,        // [4]
    src port != 40000 and udp,                           // [5]
    icmp type echo-reply or icmp type > timestamp,       // [6]
    icmp && !(icmp type echo),                           // [7]
    ip hl != 5,                                          // [8]
    ip[6:2] & 0x1fff > 0 or ip frag,                     // [9]
    ip id > 0x1233 and ip id < 0x1235,                   // [10]
    src net 10.0.0.0 mask 255.255.255.0 and not (tcp or udp),  // [11]
    dst net 224.0.0.0/4 or dst host 255.255.255.255,     // [12]
    transp[0:4] & 0xffff0000 == 0x00500000,              // [13]
    tcp[12] & 0xf0 > 0x40,                               // [14]
    ether src host 00:11:22:33:44:55,                    // [15]
    ether dst ff:ff:ff:ff:ff:ff and ip proto 132,        // [16]
    ip len > 60 or ip proto > 100,                       // [17]
    ip tos & 0xfc == 0xb8 || ip dscp 4,                  // [18]
    ip ect 1 or ip ce,                                   // [19]
    ip ttl <= 1 ? not tcp : ip ttl >= 254,               // [20]
    true);
ToDump@5 :: ToDump(out0.pcap);
ToDump@6 :: ToDump(out1.pcap);
ToDump@7 :: ToDump(out2.pcap);
ToDump@8 :: ToDump(out3.pcap);
ToDump@9 :: ToDump(out4.pcap);
ToDump@10 :: ToDump(out5.pcap);
ToDump@11 :: ToDump(out6.pcap);
ToDump@12 :: ToDump(out7.pcap);
ToDump@13 :: ToDump(out8.pcap);
ToDump@14 :: ToDump(out9.pcap);
ToDump@15 :: ToDump(out10.pcap);
ToDump@16 :: ToDump(out11.pcap);
ToDump@17 :: ToDump(out12.pcap);
ToDump@18 :: ToDump(out13.pcap);
ToDump@19 :: ToDump(out14.pcap);
ToDump@20 :: ToDump(out15.pcap);
ToDump@21 :: ToDump(out16.pcap);
ToDump@22 :: ToDump(out17.pcap);
ToDump@23 :: ToDump(out18.pcap);
ToDump@24 :: ToDump(out19.pcap);
ToDump@25 :: ToDump(out20.pcap);
ToDump@26 :: ToDump(out21.pcap);
f :: IPFilter(
    // fragments and the spoofed sources first
    deny ip frag,
    drop src net 255.0.0.0/8 || src host 0.0.0.0,
    allow tcp && (dst port www or https) && (syn && !ack),   // new web connections
    1 udp dst port 53 or dst port ntp,
    2 icmp type echo or icmp type echo-reply,
    3 ip ttl < 2,
    1 ip proto 47 || ip proto 132 || igmp,
    allow src host 10.0.0.2 and tcp win > 1000,
    3 -);
ToDump@28 :: ToDump(out22.pcap);
ToDump@29 :: ToDump(out23.pcap);
ToDump@30 :: ToDump(out24.pcap);
ToDump@31 :: ToDump(out25.pcap);

FromDump@1 -> CheckIPHeader@2
    -> t
    -> c
    -> ToDump@5;
c [1] -> ToDump@6;
c [2] -> ToDump@7;
c [3] -> ToDump@8;
c [4] -> ToDump@9;
c [5] -> ToDump@10;
c [6] -> ToDump@11;
c [7] -> ToDump@12;
c [8] -> ToDump@13;
c [9] -> ToDump@14;
c [10] -> ToDump@15;
c [11] -> ToDump@16;
c [12] -> ToDump@17;
c [13] -> ToDump@18;
c [14] -> ToDump@19;
c [15] -> ToDump@20;
c [16] -> ToDump@21;
c [17] -> ToDump@22;
c [18] -> ToDump@23;
c [19] -> ToDump@24;
c [20] -> ToDump@25;
c [21] -> ToDump@26;
t [1] -> f
    -> ToDump@28;
f [1] -> ToDump@29;
f [2] -> ToDump@30;
f [3] -> ToDump@31;
