// Error: a string argument is one word; two quoted strings side by side are not joined.
Idle
  -> Print("joined"word)
  -> Print("two" "strings")
  -> Discard;
