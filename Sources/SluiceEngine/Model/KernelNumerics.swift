import CKernels

/// How the kernels round (process-wide, set before a model runs).
///
/// `llamaCpp` (the default) reproduces llama.cpp's CPU arithmetic operation for
/// operation, so for Q4_0/Q4_1/Q8_0 models the logits, greedy output and
/// logprobs equal llama-server's for the same GGUF (Sources/CKernels/README.md).
/// `fast` uses our own rounding: about half the work per weight block in
/// batched matmuls, a two-pass softmax over the f16 cache; outputs then agree
/// with llama.cpp only up to rounding (~0.1-0.2 nats after 30 layers).
public enum KernelNumerics: String, CaseIterable, Sendable {
    case llamaCpp = "llama.cpp"
    case fast

    /// Makes this the rounding of every kernel call from now on.
    public func activate() {
        ck_set_llama_numerics(self == .llamaCpp ? 1 : 0)
    }

    /// The rounding kernels use now.
    public static var current: KernelNumerics {
        ck_llama_numerics() != 0 ? .llamaCpp : .fast
    }
}
