//! The wallet pages over real HTTP.
