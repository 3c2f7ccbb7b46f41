//! Benchmark helpers (capture generators) shared by the criterion benches.
