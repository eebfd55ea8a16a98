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

/// The local static key pair. The private key is loaded into OpenSSL once, for every DH it takes part in
/// (es as responder, se as initiator, and each peer's precomputed static-static DH).
public final class StaticIdentity {
    public let privateKey: Secret
    public let publicKey: PublicKey
    /// `privateKey` ready for DH. Like the engine that owns the identity, used from one thread at a time.
    let keyPair: X25519.KeyPair

    /// The same key with a DH context of its own (for another thread).
    public convenience init?(copying other: StaticIdentity) {
        guard let key = PrivateKey(bytes: other.privateKey) else { return nil }
        self.init(key)
    }

    /// Nil for the all-zero ("no") key.
    public init?(_ key: PrivateKey) {
        guard !key.isZero, let pair = X25519.KeyPair(privateKey: key.secret) else { return nil }
        privateKey = key.secret
        publicKey = PublicKey(pair.publicKey)
        keyPair = pair
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

/// An initiation whose static key decrypted: enough to find the peer, not yet to accept it. `state` holds
/// the chaining key; `finishConsumingInitiation` wipes its own copy, the caller's goes with its stack frame.
struct PartialInitiation {
    let remoteStatic: PublicKey
    let state: NoiseSymmetricState
    let remoteEphemeral: Bytes32
    /// H after `s` (what the responder's handshake continues from).
    var hash: Bytes32 { state.hash }
}

/// Keys produced by a completed handshake.
struct SessionKeys {
    let sending: Secret
    let receiving: Secret
    let isInitiator: Bool
    let localIndex: UInt32
    let remoteIndex: UInt32
}

/// One peer's handshake state. Every step works on a copy of the symmetric state (C, H, k: inline, no
/// allocation), wipes it when done and commits it only on success. Beyond the message it builds, a
/// handshake step allocates only the ephemeral key it creates (and OpenSSL's objects for it), an accepted
/// timestamp (which it keeps) and the two session keys (`Secret`s, which `Keypair` takes).
final class Handshake {
    enum State: Equatable {
        case zeroed, createdInitiation, consumedInitiation, createdResponse, consumedResponse
    }

    /// HASH(CONSTRUCTION) and HASH(Ci || IDENTIFIER).
    static let initialChainingKey = Blake2s.hash(Array("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s".utf8))
    static let initialHash = Blake2s.hash(initialChainingKey, Array("WireGuard v1 zx2c4 Jason@zx2c4.com".utf8))
    /// Plaintext sizes of the encrypted message fields: a static public key, a TAI64N timestamp, nothing.
    static let staticSize = 32, timestampSize = 12
    static let tagSize = ChaCha20Poly1305.tagSize

    private(set) var state = State.zeroed
    let remoteStatic: PublicKey
    /// DH(our static, their static); nil when we have no key or the peer's key is of low order: no
    /// handshake is then possible in either direction. Computed on first use after the peer or our key
    /// changes, so configuring many peers costs no scalar multiplication until one handshakes.
    var precomputedStaticStatic: Secret? {
        if let identity = pendingIdentity {
            pendingIdentity = nil
            staticStatic = identity.keyPair.sharedSecret(with: remoteStatic.raw)
        }
        return staticStatic
    }
    /// The identity whose static-static DH is still to be computed.
    private var pendingIdentity: StaticIdentity?
    private var staticStatic: Secret?
    var presharedKey: Secret = .zeros()
    private var noise = NoiseSymmetricState()
    /// H of the handshake in flight.
    var hash: Bytes32 { noise.hash }
    /// Our ephemeral key while an initiation we created waits for its response.
    private var ephemeral: X25519.KeyPair?
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

    /// Sets the local identity the static-static DH is made with (the kernel's precomputed_static_static),
    /// when the peer is created and whenever our private key changes; the scalar multiplication itself
    /// happens at the first handshake that needs it.
    func setIdentity(_ identity: StaticIdentity?) {
        staticStatic = nil
        pendingIdentity = identity
    }

    /// Forgets the handshake in flight (keeps the replay and flood history).
    func clear() {
        state = .zeroed
        noise.wipe()
        ephemeral = nil
        remoteEphemeral = Bytes32()
        localIndex = 0
        remoteIndex = 0
    }

    private func record(_ name: String, _ value: some BytesRepresentable) {
        if let trace { trace(name, value.withBytes { Array($0) }) }
    }

    private func record(_ name: String, chainingKeyOf st: NoiseSymmetricState) {
        if trace != nil { st.withChainingKey { record(name, $0) } }
    }

    private func record(_ name: String, keyOf st: NoiseSymmetricState) {
        if trace != nil { st.withKey { record(name, $0) } }
    }

    /// A zero-filled array of `count` bytes whose storage `body` fills (a message field); nil if `body` fails.
    private static func field(_ count: Int, _ body: (UnsafeMutableRawBufferPointer) -> Bool) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count)
        return out.withUnsafeMutableBytes(body) ? out : nil
    }

    // MARK: Initiator

    /// Builds message 1 (MACs not yet added). Nil when no handshake is possible with this peer.
    func createInitiation(identity: StaticIdentity, ephemeralPrivate e: Secret, timestamp: Timestamp,
                          localIndex: UInt32) -> HandshakeInitiation? {
        guard let ss = precomputedStaticStatic, let eKey = X25519.KeyPair(privateKey: e) else { return nil }
        let ePub = eKey.publicKey
        var st = NoiseSymmetricState(chainingKey: Handshake.initialChainingKey, hash: Handshake.initialHash)
        defer { st.wipe() }
        // <- s
        st.mixHash(remoteStatic.raw)
        record("H after mixHash(S_r_pub)", st.hash)
        // e
        st.mixChain(ePub)
        st.mixHash(ePub)
        record("E_i_pub (unencrypted_ephemeral)", ePub)
        record("C after KDF1(C, E_i_pub)", chainingKeyOf: st)
        record("H after mixHash(E_i_pub)", st.hash)
        // es
        guard st.mixDH(eKey, remoteStatic.raw, andKey: true) else { return nil }
        record("C after es", chainingKeyOf: st)
        record("k (static key)", keyOf: st)
        // s
        guard let encryptedStatic = Handshake.field(Handshake.staticSize + Handshake.tagSize, {
            st.encryptAndHash(identity.publicKey.raw, into: $0)
        }) else { return nil }
        record("encrypted_static", encryptedStatic)
        record("H after mixHash(encrypted_static)", st.hash)
        // ss
        st.mixChainAndKey(ss)
        record("C after ss", chainingKeyOf: st)
        record("k (timestamp key)", keyOf: st)
        // {t}
        guard let encryptedTimestamp = Handshake.field(Handshake.timestampSize + Handshake.tagSize, {
            st.encryptAndHash(timestamp.bytes, into: $0)
        }) else { return nil }
        record("encrypted_timestamp", encryptedTimestamp)
        record("H after mixHash(encrypted_timestamp)", st.hash)

        noise = st
        ephemeral = eKey
        self.localIndex = localIndex
        state = .createdInitiation
        return HandshakeInitiation(senderIndex: localIndex, ephemeral: ePub, encryptedStatic: encryptedStatic,
                                   encryptedTimestamp: encryptedTimestamp)
    }

    /// Consumes message 2 for the initiation we created. Commits only if it authenticates.
    func consumeResponse(_ msg: HandshakeResponse, identity: StaticIdentity) throws(HandshakeError) {
        guard state == .createdInitiation, let e = ephemeral else { throw .wrongState }
        var st = noise
        defer { st.wipe() }
        // e
        st.mixChain(msg.ephemeral)
        st.mixHash(msg.ephemeral)
        // ee, se
        guard st.mixDH(e, msg.ephemeral, andKey: false) else { throw .lowOrderKey }
        guard st.mixDH(identity.keyPair, msg.ephemeral, andKey: false) else { throw .lowOrderKey }
        // psk
        st.mixPresharedKey(presharedKey)
        // {}
        let opened = withUnsafeTemporaryAllocation(byteCount: Handshake.tagSize, alignment: 16) {
            st.decryptAndHash(msg.encryptedNothing, into: $0)
        }
        guard opened else { throw .decryptionFailed }

        noise = st
        remoteEphemeral = msg.ephemeral
        remoteIndex = msg.senderIndex
        state = .consumedResponse
    }

    // MARK: Responder

    /// First half of consuming message 1: `e`, `es`, `s`. Needs only our identity; tells which peer
    /// claims to have sent it.
    static func beginConsumingInitiation(_ msg: HandshakeInitiation, identity: StaticIdentity) -> PartialInitiation? {
        guard msg.encryptedStatic.count == staticSize + tagSize else { return nil }
        var st = NoiseSymmetricState(chainingKey: initialChainingKey, hash: initialHash)
        st.mixHash(identity.publicKey.raw)
        // e
        st.mixChain(msg.ephemeral)
        st.mixHash(msg.ephemeral)
        // es, s
        var remote: PublicKey?
        if st.mixDH(identity.keyPair, msg.ephemeral, andKey: true) {
            withUnsafeTemporaryAllocation(byteCount: staticSize + tagSize, alignment: 16) { buf in
                if st.decryptAndHash(msg.encryptedStatic, into: buf) {
                    remote = PublicKey(bytes: UnsafeRawBufferPointer(rebasing: buf[0..<staticSize]))
                }
            }
        }
        guard let remote else {
            st.wipe()
            return nil
        }
        return PartialInitiation(remoteStatic: remote, state: st, remoteEphemeral: msg.ephemeral)
    }

    /// What the timestamp of an initiation says.
    private enum TimestampCheck { case undecryptable, stale, fresh(Timestamp) }

    /// Second half, on the peer the static key named: `ss`, `{t}`, then the replay and flood rules.
    func finishConsumingInitiation(_ partial: PartialInitiation, _ msg: HandshakeInitiation, now: Instant) throws(HandshakeError) {
        // ss
        guard let ss = precomputedStaticStatic else { throw .lowOrderKey }
        var st = partial.state
        defer { st.wipe() }
        st.mixChainAndKey(ss)
        // {t}: compared on the stack; only an accepted timestamp becomes a (stored) Timestamp value.
        let check: TimestampCheck = withUnsafeTemporaryAllocation(byteCount: Handshake.timestampSize + Handshake.tagSize,
                                                                  alignment: 16) { buf in
            guard msg.encryptedTimestamp.count == buf.count, st.decryptAndHash(msg.encryptedTimestamp, into: buf) else {
                return .undecryptable
            }
            let t = UnsafeRawBufferPointer(rebasing: buf[0..<Handshake.timestampSize])
            return latestTimestamp.bytes.lexicographicallyPrecedes(t) ? .fresh(Timestamp(bytes: Array(t))) : .stale
        }
        let timestamp: Timestamp
        switch check {
        case .undecryptable: throw .decryptionFailed
        case .stale: throw .staleTimestamp
        case .fresh(let t): timestamp = t
        }
        if let last = lastInitiationConsumption, now - last < Constants.handshakeInitiationRate { throw .initiationFlood }

        latestTimestamp = timestamp
        lastInitiationConsumption = now
        noise = st
        remoteEphemeral = partial.remoteEphemeral
        remoteIndex = msg.senderIndex
        ephemeral = nil
        state = .consumedInitiation
    }

    /// Builds message 2 (MACs not yet added) for the initiation just consumed.
    func createResponse(identity: StaticIdentity, ephemeralPrivate e: Secret, localIndex: UInt32) -> HandshakeResponse? {
        guard state == .consumedInitiation, let eKey = X25519.KeyPair(privateKey: e) else { return nil }
        let ePub = eKey.publicKey
        var st = noise
        defer { st.wipe() }
        // e
        st.mixChain(ePub)
        st.mixHash(ePub)
        record("E_r_pub (unencrypted_ephemeral)", ePub)
        record("C after KDF1(C, E_r_pub)", chainingKeyOf: st)
        record("H after mixHash(E_r_pub)", st.hash)
        // ee
        guard st.mixDH(eKey, remoteEphemeral, andKey: false) else { return nil }
        record("C after ee", chainingKeyOf: st)
        // se
        guard st.mixDH(eKey, remoteStatic.raw, andKey: false) else { return nil }
        record("C after se", chainingKeyOf: st)
        // psk
        if trace != nil {
            let tau = Bytes32 { st.mixPresharedKey(presharedKey, tau: $0) }
            record("C after psk", chainingKeyOf: st)
            record("tau", tau)
            record("k (empty key)", keyOf: st)
            record("H after mixHash(tau)", st.hash)
        } else {
            st.mixPresharedKey(presharedKey)
        }
        // {}
        guard let encryptedNothing = Handshake.field(Handshake.tagSize, {
            st.encryptAndHash(UnsafeRawBufferPointer(start: nil, count: 0), into: $0)
        }) else { return nil }
        record("encrypted_nothing", encryptedNothing)
        record("H final", st.hash)

        noise = st
        ephemeral = nil  // the responder needs its ephemeral key no further
        self.localIndex = localIndex
        state = .createdResponse
        return HandshakeResponse(senderIndex: localIndex, receiverIndex: remoteIndex, ephemeral: ePub,
                                 encryptedNothing: encryptedNothing)
    }

    // MARK: Both

    /// Derives the transport keys, `(T1, T2) = KDF2(C, ε)`, and wipes the handshake. The initiator sends with
    /// T1; the responder receives with it.
    func beginSession() -> SessionKeys? {
        guard state == .consumedResponse || state == .createdResponse else { return nil }
        let isInitiator = state == .consumedResponse
        let (t1, t2) = noise.split()
        let keys = SessionKeys(sending: isInitiator ? t1 : t2, receiving: isInitiator ? t2 : t1,
                               isInitiator: isInitiator, localIndex: localIndex, remoteIndex: remoteIndex)
        clear()
        return keys
    }
}
