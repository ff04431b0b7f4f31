// Port lists: numbers, ranges and an expandable end, paired port by port with '=>'.
src :: Classifier(12/0800, 12/0806, 12/86dd, -);
Idle -> src;
src [0-2] => s1 :: Counter, s2 :: Counter, s3 :: Counter;
s1, s2, s3 -> Discard;
src [3] -> rr :: RoundRobinSwitch;
// An expandable end ('[1,]') takes as many ports as the other side has.
rr [0,] => w :: Discard, x :: Discard, y :: Discard;
// '=>' from one element without ports spreads over its outputs, in order.
Idle -> tee :: Tee(3);
tee => [1] m :: Idle, [2] m, [0] m;
// '[]' is expandable from 0; a list of lone sources takes one port each.
u :: Idle;
u, Idle [] => [3-4, 5-6, 7] m;
