// The rig's ping responder (configs/ping-responder.click) with a Counter on the echo path:
// `pings.count` is the number of echo requests answered.
define($SIP 10.0.0.2, $SMAC 00:16:3e:00:00:02);

FromDevice(0) -> c :: Classifier(12/0806 20/0001, 12/0806 20/0002, 12/0800, -);
sink :: ToDevice(0);
arpq :: ARPQuerier($SIP, $SMAC);
arpr :: ARPResponder($SIP $SMAC);
c[0] -> arpr -> sink;
c[1] -> [1]arpq;
Idle -> [0]arpq;
arpq -> sink;
c[2] -> CheckIPHeader(14) -> ICMPPingResponder -> pings :: Counter -> EtherMirror -> sink;
c[3] -> Discard;
