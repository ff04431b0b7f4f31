// Error: port lists of different lengths cannot be paired.
a, b :: Idle;
a [0, 1] => [0-2] b;
