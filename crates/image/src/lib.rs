//! wharf-image (skeleton; owner fills in)
