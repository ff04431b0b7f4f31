// Error: 'require library' only at file scope; also missing libraries, malformed forms.
elementclass Lib { require(library lib/p08-more.click) input -> output }
require(library lib/no-such-library.click)
require(library "two" "words", library)
Idle -> Discard;
