// The paint, switch, checksum and header-check elements in the steady state (tools:
// tests/tests/allocations.rs): a UDP frame and a TCP frame (from the checksums-l4 case) are
// painted, switched (Hash, RoundRobin, Switch, StaticSwitch, PaintSwitch), checked
// (CheckIPHeader, CheckUDPHeader/CheckTCPHeader, CheckICMPHeader rejecting them to output 1),
// get their checksums recomputed and are averaged (AverageCounter).
define($N 20000);
src :: InfiniteSource(DATA \<0000c000000102000000000208004500002610000000401155c40a0000020a00
    010214e90035001243f401080f161d242b3239400000000000000000>, LIMIT $N, STOP true)
  -> cnt :: Counter
  -> Paint(1)
  -> cp :: CheckPaint(1)
  -> pt :: PaintTee(1)
  -> h :: HashSwitch(26, 8);
cp[1] -> Discard;
pt[1] -> Discard;
h[0] -> rr :: RoundRobinSwitch;
h[1] -> rr;
rr[0] -> s :: Switch(1);
rr[1] -> s;
s[0] -> Discard;
s[1] -> ss :: StaticSwitch(0)
  -> Paint(0)
  -> ps :: PaintSwitch
  -> Strip(14)
  -> CheckIPHeader
  -> cu :: CheckUDPHeader(VERBOSE true, DETAILS true)
  -> SetUDPChecksum
  -> SetIPChecksum
  -> ci :: CheckICMPHeader
  -> Discard;
ss[1] -> Discard;
ps[1] -> Discard;
cu[1] -> Discard;
ci[1] -> AverageCounter -> Discard;
tcp :: InfiniteSource(DATA \<0000c000000102000000000208004500002810000000400655cd0a0000020a00
    01029c400050000003e80000000050022000da660000000000000000>, LIMIT $N, STOP false)
  -> Strip(14)
  -> CheckIPHeader
  -> ct :: CheckTCPHeader
  -> SetTCPChecksum(true)
  -> SetIPChecksum
  -> AverageCounter
  -> Discard;
ct[1] -> Discard;
