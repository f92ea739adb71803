//! wharf-api (skeleton; owner fills in)
