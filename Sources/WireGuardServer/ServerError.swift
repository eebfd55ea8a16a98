// SPDX-License-Identifier: MIT
// What goes wrong in wg-server, as the one line it prints (after "wg-server: ") before exiting non-zero.

/// A refusal or failure of a wg-server command; `message` is a complete sentence without the program name.
public struct ServerError: Error, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
