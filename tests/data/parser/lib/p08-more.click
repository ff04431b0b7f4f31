require(library p08-shapers.click, library p08-more.click)
elementclass Tagged { input -> Paint(99) -> output }
