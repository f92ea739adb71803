//! wharf-runtime (skeleton; owner fills in)
