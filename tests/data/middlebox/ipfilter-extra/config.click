// IPClassifier and IPFilter beyond the shared cases: relations on every field, masks, byte
// access, ternaries, 'not' of parenthesised groups, src/dst combinations, inherited
// qualifiers, Ethernet addresses, and IPFilter actions with comments.
FromDump(in.pcap, STOP true) -> CheckIPHeader(14) -> t :: Tee(2);
t[0] -> c :: IPClassifier(
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
    true);                                               // [21]
c[0] -> ToDump(out0.pcap);
c[1] -> ToDump(out1.pcap);
c[2] -> ToDump(out2.pcap);
c[3] -> ToDump(out3.pcap);
c[4] -> ToDump(out4.pcap);
c[5] -> ToDump(out5.pcap);
c[6] -> ToDump(out6.pcap);
c[7] -> ToDump(out7.pcap);
c[8] -> ToDump(out8.pcap);
c[9] -> ToDump(out9.pcap);
c[10] -> ToDump(out10.pcap);
c[11] -> ToDump(out11.pcap);
c[12] -> ToDump(out12.pcap);
c[13] -> ToDump(out13.pcap);
c[14] -> ToDump(out14.pcap);
c[15] -> ToDump(out15.pcap);
c[16] -> ToDump(out16.pcap);
c[17] -> ToDump(out17.pcap);
c[18] -> ToDump(out18.pcap);
c[19] -> ToDump(out19.pcap);
c[20] -> ToDump(out20.pcap);
c[21] -> ToDump(out21.pcap);
t[1] -> f :: IPFilter(
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
f[0] -> ToDump(out22.pcap);
f[1] -> ToDump(out23.pcap);
f[2] -> ToDump(out24.pcap);
f[3] -> ToDump(out25.pcap);
