// SPDX-License-Identifier: MIT
// Fuzz target: the `wg set` argument grammar (SetArguments, ConfigValues).
//
// Input: the arguments after the interface name, separated by NUL bytes. The value after `private-key` or
// `preshared-key` names a file; the harness replaces it by one of its own (byte 0 of the value picks: a
// valid key, an invalid one, an empty file, a missing file), so no input reads the machine's files or
// waits on /dev/stdin. Accepted arguments must turn into a `set=1` request that parses back to them.

import FuzzSupport
import FuzzToolsSupport

#if canImport(Glibc)
import Glibc
#endif

@main
enum FuzzWGSet {
    static let keyOptions: Set<String> = ["private-key", "preshared-key"]
    /// The key files the harness offers, made once in a private directory.
    static let keyFiles: [String] = {
        var template = Array("/tmp/wg-fuzz-keys-XXXXXX".utf8CString)
        let directory = String(cString: mkdtemp(&template)!)
        let contents = ["YMbg0K0Q5qD1qT4WJm7s0QQm9I9G4Xq8cZQ2T0y4c3o=\n", "not a key\n", ""]
        var paths = contents.enumerated().map { index, text in
            let path = "\(directory)/key\(index)"
            let file = fopen(path, "w")!
            fputs(text, file)
            fclose(file)
            return path
        }
        paths.append("\(directory)/missing")
        return paths
    }()

    static func main() {
        FuzzDriver.main(run)
    }

    static func run(_ input: UnsafeRawBufferPointer) {
        var arguments = input.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        for i in arguments.indices.dropLast() where keyOptions.contains(arguments[i]) {
            let pick = Int(arguments[i + 1].utf8.first ?? 0) % keyFiles.count
            arguments[i + 1] = keyFiles[pick]
        }
        guard let update = FuzzTools.parseSet(arguments) else { return }
        FuzzTools.checkRoundTrip(update)
    }
}
