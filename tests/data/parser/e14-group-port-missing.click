// Error: a group, like a compound, must use its output ports from 0 up.
Idle
  -> ( -> [1] output )
  -> Discard;
