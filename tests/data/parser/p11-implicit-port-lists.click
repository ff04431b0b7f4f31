// Inside a compound, '[ports] =>' at the start means 'input [ports] =>', and '=> [ports]'
// at the end means '=> [ports] output'.
elementclass Both {
    [0, 1] => a :: Paint(1), b :: Paint(2);
    a, b => [0, 1];
}
src :: Idle;
src [0, 1] => both :: Both => [0-1] sink :: Idle;
