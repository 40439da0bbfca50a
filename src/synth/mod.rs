//! Synthetic capture generator (fixtures, benchmarks, CLI). STUB.
