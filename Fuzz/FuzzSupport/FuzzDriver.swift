// SPDX-License-Identifier: MIT
// The entry point every fuzz target shares. Built with -sanitize=fuzzer and -DFUZZING (scripts/fuzz.sh), it
// hands the target's one-input function to libFuzzer's driver, so every libFuzzer flag works. SwiftPM links an
// executable target's own `main` ahead of libFuzzer's, hence LLVMFuzzerRunDriver rather than libFuzzer's main.
// Built without FUZZING, it runs the function once over each file (or each file of each directory) named on
// the command line: a corpus replay with no fuzzer runtime.

#if canImport(Glibc)
import Glibc
#endif

/// A fuzz target's body: one input, any bytes. It must not keep state from one input to the next.
public typealias FuzzOneInput = (UnsafeRawBufferPointer) -> Void

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The target being run (a C callback cannot capture it).
nonisolated(unsafe) private var currentTarget: FuzzOneInput?

/// libFuzzer's own `main` (linked from its archive, though ours is the one that runs) refers to this.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    currentTarget?(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#endif

public enum FuzzDriver {
    /// Runs `body` under libFuzzer (or over the files named in the arguments) and exits with its status.
    public static func main(_ body: @escaping FuzzOneInput) -> Never {
        #if FUZZING
        currentTarget = body
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        let status = LLVMFuzzerRunDriver(&argc, &argv) { fuzzerTestOneInput($0, $1) }
        exit(status)
        #else
        var count = 0
        for path in CommandLine.arguments.dropFirst() {
            for file in FuzzFiles.list(path) {
                let bytes = FuzzFiles.read(file)
                bytes.withUnsafeBytes { body($0) }
                count += 1
            }
        }
        print("replayed \(count) inputs")
        exit(0)
        #endif
    }
}
