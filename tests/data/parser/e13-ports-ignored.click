// Error: input ports on the first element of a chain connect nothing.
a, b :: Idle;
a -> b;
[1] a -> [2] b;
