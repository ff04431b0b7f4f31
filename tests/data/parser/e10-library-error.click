// Error: an error inside a library is reported at the library's file and line.
require(library lib/e10-broken.click)
Idle -> Broken -> Discard;
