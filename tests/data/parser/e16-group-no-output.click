// Error: a connection leaves a group by an output its body does not use.
Idle -> ( -> Discard ) -> Discard;
