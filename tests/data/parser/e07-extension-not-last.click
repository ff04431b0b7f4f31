// Error: '...' must be the last overload and follow at least one body.
elementclass P { input -> output }
elementclass P { ...
  || input -> output }
elementclass R { input -> output || ...
  Idle }
P;
