// SPDX-License-Identifier: MIT
// Errors a UAPI request can end with, as wireguard-go numbers them (uapi.go `ipcError`): the reply carries
// the negated errno, `errno=-22`.

/// A failed UAPI operation: the errno the reply carries and a message for the log.
public struct UAPIError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Positive errno value; the reply line is `errno=-<code>`.
    public let code: Int32
    public let message: String

    public init(code: Int32, _ message: String) {
        self.code = code
        self.message = message
    }

    /// EIO: reading or writing the socket failed.
    public static func io(_ message: String) -> UAPIError { UAPIError(code: 5, message) }
    /// EPROTO: a line without `=`.
    public static func protocolError(_ message: String) -> UAPIError { UAPIError(code: 71, message) }
    /// EINVAL: unknown key, bad value.
    public static func invalid(_ message: String) -> UAPIError { UAPIError(code: 22, message) }
    /// EADDRINUSE: the listen port could not be bound, or the fwmark could not be set.
    public static func addressInUse(_ message: String) -> UAPIError { UAPIError(code: 98, message) }

    /// The reply to send: `errno=-N` and the blank line ending it.
    public var reply: String { "errno=-\(code)\n\n" }

    public var description: String { "\(message) (errno \(code))" }
}
