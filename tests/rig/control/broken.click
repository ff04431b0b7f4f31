// Does not load: an unknown element class on line 3.
FromDevice(0)
  -> NoSuchElement
  -> ToDevice(0);
