// SPDX-License-Identifier: MIT
// The cheap first half of handling an initiation or response (kernel receive.c wg_receive_handshake_packet
// up to the cookie decision; wireguard-go receive.go's RoutineHandshake before the DH): MAC1, then under
// load MAC2, the cookie reply and the per-source rate limiter. It runs for every handshake message of a
// flood, so it allocates nothing and spends no Diffie-Hellman. The expensive half is
// `handleAdmittedHandshake`, which a host may run later, on another thread, priority messages first.

import WireGuardCrypto
import WireGuardModel

/// What to do with a handshake message after `Engine.admitHandshake`.
public enum HandshakeAdmission: Equatable, Sendable {
    /// Invalid MAC1; rate limited; or under load without a valid MAC2 and the source's cookie replies spent.
    case drop
    /// Under load without a valid MAC2: a cookie reply (`MessageType.cookieReplySize` bytes) was written for
    /// the caller to send back to the source.
    case cookieReply
    /// To be handled by `handleAdmittedHandshake`. `priority`: it carried a valid MAC2, so its source has
    /// proven it receives at its address; such messages go before the rest.
    case process(priority: Bool)
}

extension Engine {
    /// MAC checks for an initiation or response of `message.count` bytes from `source`, before any DH:
    /// - invalid MAC1: `.drop` (with a `.rejected(.invalidMAC1)` event);
    /// - a valid MAC2 (checked whenever MAC2 is not zero, and always under load): `.process(priority: true)`,
    ///   under load only while the source's rate limiter allows (else `.drop`, `.rejected(.rateLimited)`);
    /// - under load without one: a cookie reply written to the 64 bytes at `reply` (`.cookieReply`, with a
    ///   `.rejected(.underLoadCookieSent)` event) while the source's cookie budget lasts, else a silent `.drop`;
    /// - otherwise `.process(priority: false)`.
    /// Allocates nothing; events go to `effects`.
    public func admitHandshake(_ message: UnsafeRawBufferPointer, from source: Endpoint, now: Instant,
                               reply: UnsafeMutableRawPointer, effects: inout [Effect]) -> HandshakeAdmission {
        guard cookieChecker != nil else { return .drop }
        let mark = effects.count
        defer { tally(effects, from: mark) }
        let underLoad = isUnderLoad(now: now)
        let n = message.count
        let mac2Present = !ConstantTime.isZero(UnsafeRawBufferPointer(rebasing: message[(n - 16)..<n]))
        let state = cookieChecker!.check(message, source: source, checkMAC2: underLoad || mac2Present, now: now,
                                         random: random)
        switch state {
        case .invalidMAC1:
            effects.append(.event(.rejected(.invalidMAC1, from: source, peer: nil)))
            return .drop
        case .validMAC1WithCookie:
            guard !underLoad || rateLimiter.allow(source.address, now: now) else {
                effects.append(.event(.rejected(.rateLimited, from: source, peer: nil)))
                return .drop
            }
            return .process(priority: true)
        case .validMAC1WithoutCookie where underLoad:
            guard cookieReplyLimiter.allow(source.address, now: now) else { counters[HandshakeFailure.rateLimited] &+= 1; return .drop }
            cookieChecker!.writeReply(to: message, source: source, now: now, random: random, into: reply)
            effects.append(.event(.rejected(.underLoadCookieSent, from: source, peer: nil)))
            return .cookieReply
        case .validMAC1WithoutCookie:
            return .process(priority: false)
        }
    }
}
