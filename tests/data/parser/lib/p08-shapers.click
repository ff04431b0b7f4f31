// A library: compound classes, a library of its own (next to this file), an element.
require(library p08-more.click)
elementclass Shaper { $n | input -> Paint($n) -> Tagged -> output }
from_library :: Discard;
