#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bytes a `GGUFFile` reads: a read-only `mmap` of the file (weights stay
/// in the page cache, shared between processes), a private copy (tests build
/// images in memory), or a borrowed buffer whose owner outlives the file.
final class GGUFStorage: @unchecked Sendable {
    // @unchecked: the buffer is never written after init and freed only in deinit.
    let bytes: UnsafeRawBufferPointer
    private let release: Release

    enum Release {
        case munmap
        case deallocate
        case none
    }

    private init(bytes: UnsafeRawBufferPointer, release: Release) {
        self.bytes = bytes
        self.release = release
    }

    static func map(path: String) throws(GGUFError) -> GGUFStorage {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .io(path: path, reason: String(cString: strerror(errno))) }
        let size = Int(st.st_size)
        guard size > 0 else { throw .truncated(offset: 0, needed: 4, what: "magic") }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw .io(path: path, reason: String(cString: strerror(errno)))
        }
        return GGUFStorage(bytes: UnsafeRawBufferPointer(start: base, count: size), release: .munmap)
    }

    static func copy(_ source: [UInt8]) -> GGUFStorage {
        // Allocate at least 64 bytes aligned like a page so tensor data keeps its file alignment.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(source.count, 1), alignment: 4096)
        source.withUnsafeBytes { buffer.copyMemory(from: $0) }
        return GGUFStorage(bytes: UnsafeRawBufferPointer(start: buffer.baseAddress, count: source.count),
                           release: .deallocate)
    }

    /// The caller keeps `bytes` alive and unchanged for the file's lifetime.
    static func borrow(_ bytes: UnsafeRawBufferPointer) -> GGUFStorage {
        GGUFStorage(bytes: bytes, release: .none)
    }

    deinit {
        guard let base = bytes.baseAddress else { return }
        switch release {
        case .munmap: munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        case .deallocate: UnsafeMutableRawPointer(mutating: base).deallocate()
        case .none: break
        }
    }
}
