// '...' as the last overload extends the class declared before (compound or primitive).
elementclass Mark { $a | input -> Paint($a) -> output }
elementclass Mark { $a, $b | input -> Paint($a) -> Paint($b) -> output || ... }
// An element using Mark before this point keeps the older class.
early :: Mark(7);
elementclass Mark { input -> output || ... }
Idle -> Mark(1) -> Mark(2, 3) -> Mark -> early -> Discard;
// A lone '...' body is followed by an empty overload: no ports, no arguments.
gone :: Mark;
// Extending a primitive: the primitive is used when no overload fits.
elementclass Null { $x | input -> Paint($x) -> output || ... }
Idle -> Null(4) -> n :: Null -> Discard;
