// Every test target's seeded randomness is the engine's SplitMix64 (the sampler seeds with it), so
// there is one implementation; re-exported so test targets that do not import the engine see it.
@_exported import struct SluiceEngine.SplitMix64
