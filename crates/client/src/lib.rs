//! wharf-client (skeleton; owner fills in)
