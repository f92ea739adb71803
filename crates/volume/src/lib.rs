//! wharf-volume (skeleton; owner fills in)
