import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The persisted key records of the embedded store: `<dataDirectory>/keys.json`.
/// Written atomically (temp file, fsync, rename, fsync of the directory), so a crash
/// leaves either the old or the new file, never a torn one. Mode 0600: the file holds
/// only HMACs, but nobody else needs to read them.
struct KeyFile: Sendable {
    let directory: String
    var path: String { directory + "/keys.json" }

    private struct Contents: Codable {
        var format: Int
        var keys: [APIKeyRecord]
    }

    init(directory: String) throws(StoreError) {
        self.directory = directory
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw StoreError(.io, "cannot create data directory \(directory): \(error)")
            }
        } else if !isDirectory.boolValue {
            throw StoreError(.io, "\(directory) is not a directory")
        }
    }

    /// The stored records; an absent file is an empty store, a corrupt one an error
    /// (never silently start empty: that would look like every key was deleted).
    func load() throws(StoreError) -> [APIKeyRecord] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw StoreError(.io, "cannot read \(path): \(error)")
        }
        return try RecordCoding.decode(Contents.self, from: Array(data)).keys
    }

    func save(_ records: [APIKeyRecord]) throws(StoreError) {
        let bytes = try RecordCoding.encode(Contents(format: 1, keys: records))
        let temporary = "\(path).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StoreError(.io, "cannot create \(temporary): errno \(errno)") }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return write(fd, base + written, buffer.count - written)
            }
            if n <= 0 {
                if n < 0 && errno == EINTR { continue }
                let code = n < 0 ? errno : EIO
                close(fd)
                unlink(temporary)
                throw StoreError(.io, "cannot write \(temporary): errno \(code)")
            }
            written += n
        }
        guard fsync(fd) == 0 else {
            let code = errno
            close(fd)
            unlink(temporary)
            throw StoreError(.io, "fsync \(temporary) failed: errno \(code)")
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw StoreError(.io, "cannot rename \(temporary) to \(path): errno \(code)")
        }
        // The rename is durable only once the directory entry is flushed.
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }
}
