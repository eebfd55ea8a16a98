// SPDX-License-Identifier: MIT
// Writing a set of files so that none is ever seen half-written: each is written in full to a temporary file
// beside it (0600, fsync'ed) and only when all are written are they renamed into place. A failure before that
// removes the temporaries and the directories this transaction created; nothing already there is touched.

#if canImport(Glibc)
import Glibc
#endif

public final class FileTransaction {
    private var staged: [(temporary: String, path: String)] = []
    private var createdDirectories: [String] = []
    private var finished = false

    public init() {}

    deinit { if !finished { rollback() } }

    /// Creates `path` (0700) unless it is already a directory.
    public func makeDirectory(_ path: String) throws(ServerError) {
        var st = stat()
        if stat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else { throw ServerError("\(path) exists and is not a directory") }
            return
        }
        guard mkdir(path, mode_t(ServerLayout.directoryMode)) == 0 else { throw Self.failure("cannot create", path) }
        createdDirectories.append(path)
    }

    /// Writes `bytes` to a temporary file beside `path`, renamed onto it by `commit`.
    public func stage(_ path: String, _ bytes: [UInt8]) throws(ServerError) {
        let temporary = "\(path).wg-server-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(ServerLayout.fileMode))
        guard fd >= 0 else { throw Self.failure("cannot write", path) }
        staged.append((temporary, path))
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + sent, bytes.count - sent) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let error = Self.failure("cannot write", path)
                close(fd)
                throw error
            }
            sent += n
        }
        guard fsync(fd) == 0 else {
            let error = Self.failure("cannot write", path)
            close(fd)
            throw error
        }
        close(fd)
    }

    public func stage(_ path: String, _ text: String) throws(ServerError) { try stage(path, Array(text.utf8)) }

    /// Renames every staged file into place, in the order staged.
    public func commit() throws(ServerError) {
        for (index, file) in staged.enumerated() {
            guard rename(file.temporary, file.path) == 0 else {
                let error = Self.failure("cannot write", file.path)
                staged.removeFirst(index)
                rollback()
                throw error
            }
        }
        staged = []
        finished = true
    }

    /// Removes the temporaries and the directories created here (innermost first).
    public func rollback() {
        for file in staged { unlink(file.temporary) }
        staged = []
        for directory in createdDirectories.reversed() { rmdir(directory) }
        createdDirectories = []
        finished = true
    }

    static func failure(_ what: String, _ path: String) -> ServerError {
        ServerError("\(what) \(path): \(String(cString: strerror(errno)))")
    }
}

/// Reading files and asking about paths.
public enum Files {
    /// The whole file, or nil when it cannot be read.
    public static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { return result }
            result += chunk[0..<n]
        }
    }

    public static func readText(_ path: String) throws(ServerError) -> String {
        guard let bytes = read(path) else { throw FileTransaction.failure("cannot read", path) }
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }
}
