//! Platform-scale tests (placeholder until written).
