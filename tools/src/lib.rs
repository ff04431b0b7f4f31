//! Shared code of the host tools.
