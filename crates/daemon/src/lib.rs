//! wharf-daemon (skeleton; owner fills in)
