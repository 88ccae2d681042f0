import SluiceCLI

/// The `sluice` executable. An async `main` so that `SluiceCommand.main()` resolves to
/// ArgumentParser's async entry point (top-level code in main.swift picks the sync one, which
/// refuses an async command).
@main
enum SluiceMain {
    static func main() async {
        await SluiceCommand.main()
    }
}
