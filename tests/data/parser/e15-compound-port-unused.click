// Error: a compound's body uses input 1, but '=>' between lone elements connects port 0 only.
elementclass Pair {
    input [0] -> Paint(1) -> [0] output;
    input [1] -> Paint(2) -> [1] output;
}
Idle => Pair => Idle;
