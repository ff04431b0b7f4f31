// Answers ARP for 10.0.0.2 but drops every IPv4 packet (and counts them): a guest
// reconfigured to this stops answering pings.
FromDevice(0) -> c :: Classifier(12/0806 20/0001, 12/0800, -);
c[0] -> ARPResponder(10.0.0.2 00:16:3e:00:00:02) -> ToDevice(0);
c[1] -> dropped :: Counter -> Discard;
c[2] -> Discard;
