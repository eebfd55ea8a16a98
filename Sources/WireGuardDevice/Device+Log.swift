// SPDX-License-Identifier: MIT
// Turning engine events into log lines people can act on. Rejections come from the network, so they pass
// the logger's rate limit; peers appear as `peer(abcd…wxyz)`.

import WireGuardModel
import WireGuardProtocol

extension Device {
    func log(_ event: Event) {
        switch event {
        case .handshakeInitiationSent(let peer, let isRetry):
            logger.verbose("\(peer.shortDescription) - Sending handshake initiation\(isRetry ? " (retry)" : "")")
        case .handshakeResponseSent(let peer):
            logger.verbose("\(peer.shortDescription) - Sending handshake response")
        case .handshakeCompleted(let peer):
            logger.verbose("\(peer.shortDescription) - Handshake completed, session keys derived")
        case .cookieReplySent(let endpoint):
            logger.limited("Sending cookie response for denied handshake message for \(endpoint)")
        case .cookieReplyConsumed(let peer):
            logger.verbose("\(peer.shortDescription) - Received cookie response")
        case .keepaliveSent(let peer):
            logger.verbose("\(peer.shortDescription) - Sending keepalive packet")
        case .handshakeGaveUp(let peer):
            logger.verbose("\(peer.shortDescription) - Handshake did not complete after \(Constants.maxTimerHandshakes + 2) attempts, giving up")
        case .keyMaterialZeroed(let peer):
            logger.verbose("\(peer.shortDescription) - Removing all keys, since we haven't received a new one in \(Constants.zeroKeyMaterialDelay.components.seconds) seconds")
        case .endpointChanged(let peer, let endpoint):
            logger.verbose("\(peer.shortDescription) - Endpoint changed to \(endpoint)")
        case .rejected(let reason, let from, let peer):
            let who = peer.map { " (\($0.shortDescription))" } ?? ""
            switch reason {
            case .disallowedSource, .invalidInnerPacket:
                logger.limited("Dropped packet from \(from)\(who): \(reason)")
            default:
                logger.limited("Rejected handshake message from \(from)\(who): \(reason)")
            }
        }
    }
}
