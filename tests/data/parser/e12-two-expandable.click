// Error: only one side of a connection may have an expandable port list.
a, b :: Idle;
a [0,] => [1,] b;
