// SPDX-License-Identifier: MIT
// The symmetric half of Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s as WireGuard runs it (whitepaper §5.4,
// kernel noise.c mix_hash / kdf / mix_dh / mix_psk / message_encrypt / message_decrypt), without heap
// allocation: the chaining key, hash and AEAD key live inline, every temporary (DH results, PRKs, HMAC
// pads) is on the stack and wiped after use.

/// 32 bytes stored inline, for secret values that must not touch the heap.
struct SecretBlock: BytesRepresentable {
    private var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    /// 32 zero bytes.
    init() {}

    /// A copy of `value`.
    init(_ value: Bytes32) { value.withBytes { src in withMutableBytes { $0.copyMemory(from: src) } } }

    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: storage, body)
    }

    /// Lends the storage for writing.
    mutating func withMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeMutableBytes(of: &storage, body)
    }

    /// Zeroes the bytes (not elided by the optimiser).
    mutating func wipe() { withMutableBytes { Secret.wipe($0) } }
}

/// Noise's symmetric state: chaining key C, hash H and the current AEAD key k. A value type, so a handshake
/// step can work on a copy and keep it only on success. A struct cannot wipe itself when it goes away:
/// call `wipe()` on every copy that held secrets once it is no longer needed.
public struct NoiseSymmetricState {
    private var chainingKey = SecretBlock()
    private var key = SecretBlock()
    /// H.
    public private(set) var hash = Bytes32()

    /// An all-zero state (no handshake in progress).
    public init() {}

    /// The state after Initialize: C and H as given (WireGuard's HASH(CONSTRUCTION) and HASH(C || IDENTIFIER)).
    public init(chainingKey: Bytes32, hash: Bytes32) {
        self.chainingKey = SecretBlock(chainingKey)
        self.hash = hash
    }

    /// Lends C (for traces and tests).
    public func withChainingKey<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try chainingKey.withBytes(body)
    }

    /// Lends k (for traces and tests).
    public func withKey<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try key.withBytes(body) }

    /// H = HASH(H || data).
    public mutating func mixHash(_ data: some BytesRepresentable) { hash = Blake2s.hash(hash, data) }

    /// C = KDF1(C, input): WireGuard's step for an ephemeral public key, ee and se.
    public mutating func mixChain(_ input: some BytesRepresentable) {
        input.withBytes { i in
            chainingKey.withMutableBytes { c in KDF.derive(key: UnsafeRawBufferPointer(c), input: i, into: c) }
        }
    }

    /// (C, k) = KDF2(C, input): es and ss, each followed by an encryption under k.
    public mutating func mixChainAndKey(_ input: some BytesRepresentable) {
        input.withBytes { i in
            chainingKey.withMutableBytes { c in
                key.withMutableBytes { k in KDF.derive(key: UnsafeRawBufferPointer(c), input: i, into: c, k) }
            }
        }
    }

    /// DH(local, remote) mixed in with `mixChainAndKey` (when `andKey`) or `mixChain`. False when the DH
    /// result is all zero (a small-order point): the handshake must stop, and the state is unchanged.
    public mutating func mixDH(_ local: X25519.KeyPair, _ remote: some BytesRepresentable, andKey: Bool) -> Bool {
        withUnsafeTemporaryAllocation(byteCount: X25519.keySize, alignment: 16) { dh in
            defer { Secret.wipe(dh) }
            guard local.sharedSecret(with: remote, into: dh) else { return false }
            if andKey { mixChainAndKey(UnsafeRawBufferPointer(dh)) } else { mixChain(UnsafeRawBufferPointer(dh)) }
            return true
        }
    }

    /// (C, τ, k) = KDF3(C, psk) and H = HASH(H || τ). τ is also written to `tau` (32 bytes) when given,
    /// for traces; otherwise it stays on the stack and is wiped.
    public mutating func mixPresharedKey(_ psk: some BytesRepresentable, tau: UnsafeMutableRawBufferPointer? = nil) {
        withUnsafeTemporaryAllocation(byteCount: KDF.outputSize, alignment: 16) { t in
            psk.withBytes { p in
                chainingKey.withMutableBytes { c in
                    key.withMutableBytes { k in KDF.derive(key: UnsafeRawBufferPointer(c), input: p, into: c, t, k) }
                }
            }
            mixHash(UnsafeRawBufferPointer(t))
            tau?.copyMemory(from: UnsafeRawBufferPointer(t))
            Secret.wipe(t)
        }
    }

    /// Writes AEAD(k, 0, plaintext, H) to `out` (plaintext length + 16 bytes) and then H = HASH(H || that).
    public mutating func encryptAndHash(_ plaintext: some BytesRepresentable, into out: UnsafeMutableRawBufferPointer) -> Bool {
        let count = plaintext.withBytes { p in
            precondition(out.count == p.count + ChaCha20Poly1305.tagSize, "ciphertext buffer has the wrong size")
            if !p.isEmpty { out.copyMemory(from: p) }
            return p.count
        }
        guard ChaCha20Poly1305.seal(key: key, buffer: out.baseAddress!, count: count, ad: hash) else { return false }
        mixHash(UnsafeRawBufferPointer(out))
        return true
    }

    /// Opens `ciphertext` (plaintext || tag) under k with H as additional data into `out`, which needs room
    /// for the whole ciphertext; the plaintext is its first `ciphertext.count - 16` bytes. On success
    /// H = HASH(H || ciphertext); on failure nothing changes and `out` is wiped.
    public mutating func decryptAndHash(_ ciphertext: some BytesRepresentable, into out: UnsafeMutableRawBufferPointer) -> Bool {
        let ok = ciphertext.withBytes { c -> Bool in
            guard c.count >= ChaCha20Poly1305.tagSize, out.count >= c.count else { return false }
            out.copyMemory(from: c)
            return ChaCha20Poly1305.open(key: key, buffer: out.baseAddress!, count: c.count - ChaCha20Poly1305.tagSize, ad: hash)
        }
        guard ok else {
            Secret.wipe(out)
            return false
        }
        mixHash(ciphertext)
        return true
    }

    /// (T1, T2) = KDF2(C, ε): the initiator's sending and receiving transport keys.
    public func split() -> (Secret, Secret) {
        var t1: Secret?
        let t2 = Secret(count: KDF.outputSize) { b in
            t1 = Secret(count: KDF.outputSize) { a in
                chainingKey.withBytes { KDF.derive(key: $0, input: UnsafeRawBufferPointer(start: nil, count: 0), into: a, b) }
            }
        }
        return (t1!, t2)
    }

    /// Zeroes C, k and H.
    public mutating func wipe() {
        chainingKey.wipe()
        key.wipe()
        hash = Bytes32()
    }
}
