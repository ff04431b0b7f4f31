// require(library FILE) reads FILE, relative to the requiring file's directory, as if its
// statements were written here: its classes stay visible and its elements join the router.
// Each file is read once, so libraries requiring each other (or themselves) stop there.
require(library lib/p08-shapers.click)
require(library lib/p08-shapers.click, library lib/p08-more.click)
Idle -> Shaper(2) -> Tagged -> from_library;
