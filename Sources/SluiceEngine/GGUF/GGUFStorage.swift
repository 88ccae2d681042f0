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

    /// True for a read-only file mapping, whose pages can be dropped and re-read.
    var isFileMapped: Bool {
        if case .munmap = release { return true }
        return false
    }

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

extension GGUFFile {
    /// Tells the kernel the mapped pages wholly inside `tensor`'s data are not
    /// needed now (after the weights were repacked into private memory), so
    /// they stop counting as resident; a later read faults them back in from
    /// the file. No effect for in-memory images.
    public func dropResidentPages(of tensor: GGUFTensorInfo) {
        // Only a file mapping: dropping anonymous pages would zero them.
        guard storage.isFileMapped else { return }
        let data = self.data(of: tensor)
        guard let start = data.baseAddress, data.count > 0 else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = (Int(bitPattern: start) + page - 1) / page * page
        let end = (Int(bitPattern: start) + data.count) / page * page
        guard end > first, let p = UnsafeMutableRawPointer(bitPattern: first) else { return }
        madvise(p, end - first, Int32(MADV_DONTNEED))
    }
}
