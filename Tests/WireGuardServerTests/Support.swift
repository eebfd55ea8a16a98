// SPDX-License-Identifier: MIT
// Test doubles for wg-server: captured streams, a host with a scripted default route, resolv.conf and
// interface, and temporary directories.

#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import WireGuardCrypto
import WireGuardTools
@testable import WireGuardServer

final class CapturedIO: CommandIO {
    var environment: [String: String] = [:]
    var output = ""
    var errors = ""
    func write(_ text: String) { output += text }
    func writeError(_ text: String) { errors += text }
    func readInput() -> [UInt8] { [] }
    var outputIsTerminal = false
    var outputIsWorldAccessibleFile = false
}

final class FakeSystem: ServerSystem {
    var route: String? = "192.0.2.1 via 203.0.113.254 dev wan0 src 203.0.113.7 uid 0\n    cache\n"
    var files: [String: String] = ["/etc/resolv.conf": "nameserver 127.0.0.53\n", "/run/systemd/resolve/resolv.conf": "nameserver 198.51.100.53\n"]
    var up: Set<String> = []
    var synced: [(String, String)] = []
    var syncStatus: Int32 = 0
    let random: RandomSource = SystemRandom()

    func routeGet() -> String? { route }
    func readText(_ path: String) -> String? { files[path] }
    func interfaceExists(_ name: String) -> Bool { up.contains(name) }
    func syncConf(interface: String, config: String) -> Int32 {
        synced.append((interface, config))
        return syncStatus
    }
}

/// A fresh directory under /tmp, removed with everything in it by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() {
        var template = Array("/tmp/wg-server-test.XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    func remove() { _ = system("rm -rf '\(path)'") }

    /// Every path below the directory, sorted, relative to it.
    func listing() -> [String] {
        var result: [String] = []
        func walk(_ relative: String) {
            guard let dir = opendir(path + relative) else { return }
            defer { closedir(dir) }
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name == "." || name == ".." { continue }
                result.append(relative + "/" + name)
                if entry.pointee.d_type == DT_DIR { walk(relative + "/" + name) }
            }
        }
        walk("")
        return result.sorted()
    }
}

/// Runs wg-server with `arguments` in `io` and `system`.
func wgServer(_ arguments: [String], io: CapturedIO = CapturedIO(), system: FakeSystem = FakeSystem()) -> (status: Int32, io: CapturedIO) {
    let status = ServerCommand(programName: "wg-server", io: io, system: system).run(arguments)
    return (status, io)
}

/// A fixture file's text.
func fixture(_ name: String) throws -> String {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"))
    return try String(contentsOf: url, encoding: .utf8)
}
