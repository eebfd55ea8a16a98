// SPDX-License-Identifier: MIT
// Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s, as WireGuard uses it (whitepaper §5.4; kernel noise.c).
//
//   <- s
//   ******
//   -> e, es, s, ss, {t}
//   <- e, ee, se, psk, {}
//
// Handshake state per peer:
//
//   zeroed --createInitiation--> createdInitiation --consumeResponse--> consumedResponse --beginSession--> zeroed
//   zeroed --consumeInitiation--> consumedInitiation --createResponse--> createdResponse --beginSession--> zeroed
//
// Consuming an initiation overwrites any initiation we created ourselves (simultaneous initiation: one wins).
// Every function works on copies and commits only on success.

import WireGuardCrypto
import WireGuardModel

/// The local static key pair.
public final class StaticIdentity {
    public let privateKey: Secret
    public let publicKey: PublicKey

    /// Nil for the all-zero ("no") key.
    public init?(_ key: PrivateKey) {
        guard let pub = key.publicKey else { return nil }
        privateKey = key.secret
        publicKey = pub
    }
}

/// Why consuming a message failed.
enum HandshakeError: Error, Equatable {
    case decryptionFailed
    case staleTimestamp
    case initiationFlood
    case wrongState
    case lowOrderKey
}

/// An initiation whose static key decrypted: enough to find the peer, not yet to accept it.
struct PartialInitiation {
    let remoteStatic: PublicKey
    let chainingKey: Secret
    let hash: Bytes32
    let remoteEphemeral: Bytes32
}

/// Keys produced by a completed handshake.
struct SessionKeys {
    let sending: Secret
    let receiving: Secret
    let isInitiator: Bool
    let localIndex: UInt32
    let remoteIndex: UInt32
}

/// One peer's handshake state.
final class Handshake {
    enum State: Equatable {
        case zeroed, createdInitiation, consumedInitiation, createdResponse, consumedResponse
    }

    /// HASH(CONSTRUCTION) and HASH(Ci || IDENTIFIER).
    static let initialChainingKey = Blake2s.hash(Array("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s".utf8))
    static let initialHash = Blake2s.hash(initialChainingKey, Array("WireGuard v1 zx2c4 Jason@zx2c4.com".utf8))

    private(set) var state = State.zeroed
    let remoteStatic: PublicKey
    /// DH(our static, their static), computed when the peer or our key changes; nil when we have no key
    /// or the peer's key is of low order: no handshake is then possible in either direction.
    var precomputedStaticStatic: Secret?
    var presharedKey: Secret = .zeros()
    private var chainingKey: Secret?
    private(set) var hash = Bytes32()
    private var ephemeralPrivate: Secret?
    private var remoteEphemeral = Bytes32()
    /// Our index for the handshake in flight (registered in the index table by the engine).
    var localIndex: UInt32 = 0
    var remoteIndex: UInt32 = 0
    /// Greatest timestamp accepted from this peer (replay protection across handshakes).
    private(set) var latestTimestamp = Timestamp.zero
    private(set) var lastInitiationConsumption: Instant?
    /// Receives every intermediate value by name (tests compare them with the published trace).
    var trace: ((String, [UInt8]) -> Void)?

    init(remoteStatic: PublicKey) { self.remoteStatic = remoteStatic }

    /// Recomputes the static-static DH for a new local identity.
    func setIdentity(_ identity: StaticIdentity?) {
        precomputedStaticStatic = identity.flatMap { X25519.sharedSecret(privateKey: $0.privateKey, publicKey: remoteStatic.raw) }
    }

    /// Forgets the handshake in flight (keeps the replay and flood history).
    func clear() {
        state = .zeroed
        chainingKey = nil
        hash = Bytes32()
        ephemeralPrivate = nil
        remoteEphemeral = Bytes32()
        localIndex = 0
        remoteIndex = 0
    }

    private func record(_ name: String, _ value: some BytesRepresentable) {
        if let trace { trace(name, value.withBytes { Array($0) }) }
    }

    // MARK: Initiator

    /// Builds message 1 (MACs not yet added). Nil when no handshake is possible with this peer.
    func createInitiation(identity: StaticIdentity, ephemeralPrivate e: Secret, timestamp: Timestamp,
                          localIndex: UInt32) -> HandshakeInitiation? {
        guard let ss = precomputedStaticStatic, let ePub = X25519.publicKey(for: e) else { return nil }
        var c: Secret = Secret(Handshake.initialChainingKey)
        // <- s
        var h = Blake2s.hash(Handshake.initialHash, remoteStatic.raw)
        record("H after mixHash(S_r_pub)", h)
        // e
        c = KDF.kdf1(key: c, input: ePub)
        h = Blake2s.hash(h, ePub)
        record("E_i_pub (unencrypted_ephemeral)", ePub); record("C after KDF1(C, E_i_pub)", c); record("H after mixHash(E_i_pub)", h)
        // es
        guard let es = X25519.sharedSecret(privateKey: e, publicKey: remoteStatic.raw) else { return nil }
        var k: Secret
        (c, k) = KDF.kdf2(key: c, input: es)
        record("C after es", c); record("k (static key)", k)
        // s
        let encryptedStatic = ChaCha20Poly1305.seal(key: k, plaintext: identity.publicKey.raw, ad: h)
        h = Blake2s.hash(h, encryptedStatic)
        record("encrypted_static", encryptedStatic); record("H after mixHash(encrypted_static)", h)
        // ss
        (c, k) = KDF.kdf2(key: c, input: ss)
        record("C after ss", c); record("k (timestamp key)", k)
        // {t}
        let encryptedTimestamp = ChaCha20Poly1305.seal(key: k, plaintext: timestamp.bytes, ad: h)
        h = Blake2s.hash(h, encryptedTimestamp)
        record("encrypted_timestamp", encryptedTimestamp); record("H after mixHash(encrypted_timestamp)", h)

        chainingKey = c
        hash = h
        ephemeralPrivate = e
        self.localIndex = localIndex
        state = .createdInitiation
        return HandshakeInitiation(senderIndex: localIndex, ephemeral: ePub, encryptedStatic: encryptedStatic,
                                   encryptedTimestamp: encryptedTimestamp)
    }

    /// Consumes message 2 for the initiation we created. Commits only if it authenticates.
    func consumeResponse(_ msg: HandshakeResponse, identity: StaticIdentity) throws(HandshakeError) {
        guard state == .createdInitiation, let ck = chainingKey, let e = ephemeralPrivate else { throw .wrongState }
        // e
        var c = KDF.kdf1(key: ck, input: msg.ephemeral)
        var h = Blake2s.hash(hash, msg.ephemeral)
        // ee
        guard let ee = X25519.sharedSecret(privateKey: e, publicKey: msg.ephemeral) else { throw .lowOrderKey }
        c = KDF.kdf1(key: c, input: ee)
        // se
        guard let se = X25519.sharedSecret(privateKey: identity.privateKey, publicKey: msg.ephemeral) else { throw .lowOrderKey }
        c = KDF.kdf1(key: c, input: se)
        // psk
        let (c2, tau, k) = KDF.kdf3(key: c, input: presharedKey)
        h = Blake2s.hash(h, tau)
        // {}
        guard ChaCha20Poly1305.open(key: k, ciphertext: msg.encryptedNothing, ad: h) != nil else { throw .decryptionFailed }
        h = Blake2s.hash(h, msg.encryptedNothing)

        chainingKey = c2
        hash = h
        remoteEphemeral = msg.ephemeral
        remoteIndex = msg.senderIndex
        state = .consumedResponse
    }

    // MARK: Responder

    /// First half of consuming message 1: `e`, `es`, `s`. Needs only our identity; tells which peer
    /// claims to have sent it.
    static func beginConsumingInitiation(_ msg: HandshakeInitiation, identity: StaticIdentity) -> PartialInitiation? {
        var h = Blake2s.hash(initialHash, identity.publicKey.raw)
        // e
        let c = KDF.kdf1(key: initialChainingKey, input: msg.ephemeral)
        h = Blake2s.hash(h, msg.ephemeral)
        // es
        guard let es = X25519.sharedSecret(privateKey: identity.privateKey, publicKey: msg.ephemeral) else { return nil }
        let (c2, k) = KDF.kdf2(key: c, input: es)
        // s
        guard let plain = ChaCha20Poly1305.open(key: k, ciphertext: msg.encryptedStatic, ad: h),
              let remote = PublicKey(bytes: plain) else { return nil }
        h = Blake2s.hash(h, msg.encryptedStatic)
        return PartialInitiation(remoteStatic: remote, chainingKey: c2, hash: h, remoteEphemeral: msg.ephemeral)
    }

    /// Second half, on the peer the static key named: `ss`, `{t}`, then the replay and flood rules.
    func finishConsumingInitiation(_ partial: PartialInitiation, _ msg: HandshakeInitiation, now: Instant) throws(HandshakeError) {
        // ss
        guard let ss = precomputedStaticStatic else { throw .lowOrderKey }
        let (c, k) = KDF.kdf2(key: partial.chainingKey, input: ss)
        // {t}
        guard let t = ChaCha20Poly1305.open(key: k, ciphertext: msg.encryptedTimestamp, ad: partial.hash) else {
            throw .decryptionFailed
        }
        let h = Blake2s.hash(partial.hash, msg.encryptedTimestamp)
        let timestamp = Timestamp(bytes: t)
        guard latestTimestamp < timestamp else { throw .staleTimestamp }
        if let last = lastInitiationConsumption, now - last < Constants.handshakeInitiationRate { throw .initiationFlood }

        latestTimestamp = timestamp
        lastInitiationConsumption = now
        chainingKey = c
        hash = h
        remoteEphemeral = partial.remoteEphemeral
        remoteIndex = msg.senderIndex
        ephemeralPrivate = nil
        state = .consumedInitiation
    }

    /// Builds message 2 (MACs not yet added) for the initiation just consumed.
    func createResponse(identity: StaticIdentity, ephemeralPrivate e: Secret, localIndex: UInt32) -> HandshakeResponse? {
        guard state == .consumedInitiation, var c = chainingKey, let ePub = X25519.publicKey(for: e) else { return nil }
        // e
        c = KDF.kdf1(key: c, input: ePub)
        var h = Blake2s.hash(hash, ePub)
        record("E_r_pub (unencrypted_ephemeral)", ePub); record("C after KDF1(C, E_r_pub)", c); record("H after mixHash(E_r_pub)", h)
        // ee
        guard let ee = X25519.sharedSecret(privateKey: e, publicKey: remoteEphemeral) else { return nil }
        c = KDF.kdf1(key: c, input: ee)
        record("C after ee", c)
        // se
        guard let se = X25519.sharedSecret(privateKey: e, publicKey: remoteStatic.raw) else { return nil }
        c = KDF.kdf1(key: c, input: se)
        record("C after se", c)
        // psk
        let (c2, tau, k) = KDF.kdf3(key: c, input: presharedKey)
        h = Blake2s.hash(h, tau)
        record("C after psk", c2); record("tau", tau); record("k (empty key)", k); record("H after mixHash(tau)", h)
        // {}
        let encryptedNothing = ChaCha20Poly1305.seal(key: k, plaintext: [UInt8](), ad: h)
        h = Blake2s.hash(h, encryptedNothing)
        record("encrypted_nothing", encryptedNothing); record("H final", h)

        chainingKey = c2
        hash = h
        ephemeralPrivate = e
        self.localIndex = localIndex
        state = .createdResponse
        return HandshakeResponse(senderIndex: localIndex, receiverIndex: remoteIndex, ephemeral: ePub,
                                 encryptedNothing: encryptedNothing)
    }

    // MARK: Both

    /// Derives the transport keys, `(T1, T2) = KDF2(C, ε)`, and wipes the handshake. The initiator sends with
    /// T1; the responder receives with it.
    func beginSession() -> SessionKeys? {
        guard state == .consumedResponse || state == .createdResponse, let c = chainingKey else { return nil }
        let isInitiator = state == .consumedResponse
        let (t1, t2) = KDF.kdf2(key: c, input: [UInt8]())
        let keys = SessionKeys(sending: isInitiator ? t1 : t2, receiving: isInitiator ? t2 : t1,
                               isInitiator: isInitiator, localIndex: localIndex, remoteIndex: remoteIndex)
        clear()
        return keys
    }
}
