// SPDX-License-Identifier: MIT
// `wg genkey`, `wg genpsk` and `wg pubkey` (genkey.c, pubkey.c), with their messages.

import WireGuardCrypto
import WireGuardModel

extension WGCommand {
    func genkey(_ argv: [String]) -> Int32 {
        guard argv.count == 1 else {
            io.writeError("Usage: \(programName) \(argv[0])\n")
            return 1
        }
        if io.outputIsWorldAccessibleFile {
            io.writeError("Warning: writing to world accessible file.\nConsider setting the umask to 077 and trying again.\n")
        }
        var bytes = SystemRandom().bytes(32)
        bytes.withUnsafeMutableBytes { raw in
            if argv[0] == "genkey" { X25519.clamp(raw) }
            io.write(KeyEncoding.base64(UnsafeRawBufferPointer(raw)) + "\n")
            Secret.wipe(raw)
        }
        return 0
    }

    func pubkey(_ argv: [String]) -> Int32 {
        guard argv.count == 1 else {
            io.writeError("Usage: \(programName) \(argv[0])\n")
            return 1
        }
        var input = io.readInput()
        defer { input.withUnsafeMutableBytes { Secret.wipe($0) } }
        guard input.count >= 44 else {
            io.writeError("\(programName): Key is not the correct length or format\n")
            return 1
        }
        // After the 44 characters only whitespace (and NULs) may follow.
        let spaces: Set<UInt8> = [0, 0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D]
        guard input[44...].allSatisfy(spaces.contains) else {
            io.writeError("\(programName): Trailing characters found after key\n")
            return 1
        }
        guard let key = PrivateKey(base64: String(decoding: input[0..<44], as: UTF8.self)), let pub = key.publicKey else {
            io.writeError("\(programName): Key is not the correct length or format\n")
            return 1
        }
        io.write(pub.base64 + "\n")
        return 0
    }
}
