// Element groups '( ... )': a connection enters the group at 'input' and leaves at
// 'output'; inside a group (or compound) a connection may start or end with an arrow.
cl :: Classifier(12/0800, 12/0806, -);
out :: Queue;
Idle -> cl;
cl => ( -> ip :: Counter -> Paint(1) -> out ), ( -> Paint(2) -> out ), other :: Counter;
// Numbering counts a group as three elements.
out -> Unqueue -> Discard;
other -> Discard;
Idle -> ( [0] -> p :: Paint(3) -> [0] ; ) -> Discard;
// Groups nest, and an anonymous compound '{ ... }' may stand where an element does.
Idle -> ( -> ( -> Paint(4) -> ) -> { -> Paint(5) -> } -> ) -> Discard;
elementclass Split {
    input -> t :: Tee(2) => ( -> Paint(6) -> ), ( -> Paint(7) -> ) => output;
}
Idle -> sp :: Split;
sp [0] -> Discard;
sp [1] -> Discard;
