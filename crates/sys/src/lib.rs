//! wharf-sys (skeleton; owner fills in)
