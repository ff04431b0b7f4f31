// A library whose compound has a bad element configuration.

elementclass Broken { input -> Counter(too, many) -> output }
