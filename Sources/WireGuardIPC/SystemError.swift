// SPDX-License-Identifier: MIT

#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: which call, and errno read right after it.
public struct SystemError: Error, Equatable, Sendable, CustomStringConvertible {
    public let call: String
    public let errno: Int32

    public init(_ call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    /// The error for `call`, reading the thread's errno now.
    public static func last(_ call: String) -> SystemError { SystemError(call, errno: Glibc.errno) }

    public var description: String { "\(call): \(String(cString: strerror(errno)))" }
}

/// Retries `body` while it fails with EINTR; throws `SystemError` for any other failure (a negative result).
@discardableResult
public func retryingInterrupts<T: BinaryInteger>(_ call: String, _ body: () -> T) throws(SystemError) -> T {
    while true {
        let result = body()
        if result >= 0 { return result }
        let err = Glibc.errno
        if err != EINTR { throw SystemError(call, errno: err) }
    }
}
