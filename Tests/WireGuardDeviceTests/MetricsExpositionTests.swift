// SPDX-License-Identifier: MIT
// The Prometheus exposition, from a snapshot to text: golden output, label escaping, and the request rules
// of the /metrics endpoint, all with strings and bytes alone.

import Testing
@testable import WireGuardDevice
import WireGuardModel
import WireGuardProtocol

private let keyB = PublicKey(base64: "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=")!
private let keyC = PublicKey(base64: "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=")!

/// B: endpoint, two allowed IPs, a handshake 7.25 s ago, some counts. C: nothing yet.
func sampleMetrics() -> InterfaceMetrics {
    var b = TrafficCounters()
    b.handshakesCompleted = 3
    b.cookieRepliesReceived = 1
    b[HandshakeFailure.timeout] = 2
    b[DropReason.replay] = 5
    b[DropReason.sourceNotAllowed] = 1
    var totals = b
    totals[DropReason.noPeer] = 4
    totals[HandshakeFailure.unknownPeer] = 6
    totals.cookieRepliesSent = 7
    let peerB = PeerStatus(publicKey: keyB, presharedKey: nil, endpoint: Endpoint("[fd00::2]:51820"),
                           lastHandshake: WallTime(seconds: 1_700_000_000, nanoseconds: 750_000_000),
                           rxBytes: 1234, txBytes: 5678, persistentKeepalive: 0,
                           allowedIPs: [IPPrefix("10.0.0.2/32")!, IPPrefix("fd00::2/128")!])
    let peerC = PeerStatus(publicKey: keyC, presharedKey: nil, endpoint: nil, lastHandshake: nil, rxBytes: 0,
                           txBytes: 0, persistentKeepalive: 0, allowedIPs: [])
    return InterfaceMetrics(totals: totals, peers: [PeerMetrics(status: peerB, counters: b),
                                                    PeerMetrics(status: peerC, counters: TrafficCounters())])
}

@Suite struct MetricsExpositionTests {
    @Test func goldenExposition() {
        let text = MetricsExposition.render(interface: "wg0", metrics: sampleMetrics(),
                                            now: WallTime(seconds: 1_700_000_008, nanoseconds: 0))
        #expect(text == golden)
    }

    @Test func labelValuesAreEscaped() {
        var out = PrometheusText()
        out.family("x_total", .counter, "back\\slash\nline")
        out.sample("x_total", [("interface", "a\"b\\c\nd")], UInt64(1))
        #expect(out.text == "# HELP x_total back\\\\slash\\nline\n# TYPE x_total counter\nx_total{interface=\"a\\\"b\\\\c\\nd\"} 1\n")
    }

    @Test func emptyInterfaceHasOnlyInterfaceSeries() {
        let text = MetricsExposition.render(interface: "wg1", metrics: InterfaceMetrics(totals: TrafficCounters(), peers: []),
                                            now: WallTime(seconds: 0))
        #expect(text.contains("wireguard_interface_peers{interface=\"wg1\"} 0\n"))
        #expect(text.contains("# TYPE wireguard_sent_bytes_total counter\n# HELP wireguard_received_bytes_total"),
                "a family without samples keeps its HELP and TYPE")
        #expect(!text.contains("public_key"))
    }
}

@Suite struct MetricsRequestTests {
    func judge(_ text: String) -> MetricsRequest { MetricsRequest.judge(Array(text.utf8)) }

    @Test func onlyGetMetrics() {
        #expect(judge("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n") == .metrics)
        #expect(judge("GET /metrics?name[]=x HTTP/1.0\r\n\r\n") == .metrics, "a query string is ignored")
        #expect(judge("GET /metrics HTTP/1.1\n\n") == .metrics, "bare line feeds")
        #expect(judge("POST /metrics HTTP/1.1\r\nContent-Length: 1\r\n\r\nx") == .methodNotAllowed)
        #expect(judge("HEAD /metrics HTTP/1.1\r\n\r\n") == .methodNotAllowed)
        #expect(judge("GET / HTTP/1.1\r\n\r\n") == .notFound)
        #expect(judge("GET /metrics/ HTTP/1.1\r\n\r\n") == .notFound)
        #expect(judge("GET /metricsx HTTP/1.1\r\n\r\n") == .notFound)
    }

    @Test func incompleteMalformedAndOversized() {
        #expect(judge("") == .incomplete)
        #expect(judge("GET /metrics HTTP/1.1\r\nHost: x\r\n") == .incomplete, "no blank line yet")
        #expect(judge("GET /metrics\r\n\r\n") == .badRequest)
        #expect(judge("get /metrics HTTP/1.1\r\n\r\n") == .badRequest)
        #expect(judge("GET metrics HTTP/1.1\r\n\r\n") == .badRequest)
        #expect(judge("GET  /metrics HTTP/1.1\r\n\r\n") == .badRequest)
        #expect(judge("\u{16}\u{03}\u{01}\r\n\r\n") == .badRequest, "TLS to a plain port")
        let big = "GET /metrics HTTP/1.1\r\nX: " + String(repeating: "a", count: MetricsRequest.maxHeadBytes)
        #expect(judge(big) == .tooLarge)
        let justUnder = "GET /metrics HTTP/1.1\r\nX: " + String(repeating: "a", count: MetricsRequest.maxHeadBytes - 40) + "\r\n\r\n"
        #expect(judge(justUnder) == .metrics)
    }

    @Test func responses() {
        let ok = String(decoding: MetricsRequest.response(.metrics) { "a 1\n" }, as: UTF8.self)
        #expect(ok == "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: 4\r\n"
                + "Connection: close\r\n\r\na 1\n")
        var scraped = false
        let notAllowed = String(decoding: MetricsRequest.response(.methodNotAllowed) { scraped = true; return "" }, as: UTF8.self)
        #expect(notAllowed.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\nAllow: GET\r\n"))
        #expect(!scraped, "no snapshot for a refused request")
        #expect(String(decoding: MetricsRequest.response(.notFound) { "" }, as: UTF8.self).hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        #expect(String(decoding: MetricsRequest.response(.tooLarge) { "" }, as: UTF8.self).hasPrefix("HTTP/1.1 431 "))
    }
}

/// What `goldenExposition` must print (checked with `promtool check metrics`).
private let golden = """
    # HELP wireguard_sent_bytes_total Bytes sent to the peer
    # TYPE wireguard_sent_bytes_total counter
    wireguard_sent_bytes_total{interface="wg0",public_key="HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=",allowed_ips="10.0.0.2/32,fd00::2/128",remote_ip="fd00::2",remote_port="51820"} 5678
    wireguard_sent_bytes_total{interface="wg0",public_key="xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",allowed_ips="(none)"} 0
    # HELP wireguard_received_bytes_total Bytes received from the peer
    # TYPE wireguard_received_bytes_total counter
    wireguard_received_bytes_total{interface="wg0",public_key="HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=",allowed_ips="10.0.0.2/32,fd00::2/128",remote_ip="fd00::2",remote_port="51820"} 1234
    wireguard_received_bytes_total{interface="wg0",public_key="xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",allowed_ips="(none)"} 0
    # HELP wireguard_latest_handshake_seconds UNIX time of the last completed handshake with the peer, 0 if none (as wg show dump)
    # TYPE wireguard_latest_handshake_seconds gauge
    wireguard_latest_handshake_seconds{interface="wg0",public_key="HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=",allowed_ips="10.0.0.2/32,fd00::2/128",remote_ip="fd00::2",remote_port="51820"} 1700000000
    wireguard_latest_handshake_seconds{interface="wg0",public_key="xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",allowed_ips="(none)"} 0
    # HELP wireguard_latest_handshake_age_seconds Seconds since the last completed handshake with the peer
    # TYPE wireguard_latest_handshake_age_seconds gauge
    wireguard_latest_handshake_age_seconds{interface="wg0",public_key="HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="} 7.25
    # HELP wireguard_peer_endpoint_info The peer's current endpoint (label endpoint), 1
    # TYPE wireguard_peer_endpoint_info gauge
    wireguard_peer_endpoint_info{interface="wg0",public_key="HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=",endpoint="[fd00::2]:51820"} 1
    # HELP wireguard_peer_handshakes_total Handshakes completed with the peer
    # TYPE wireguard_peer_handshakes_total counter
    wireguard_peer_handshakes_total{interface="wg0",public_key="HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="} 3
    wireguard_peer_handshakes_total{interface="wg0",public_key="xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="} 0
    # HELP wireguard_peer_handshake_failures_total Handshakes with the peer that failed, by reason
    # TYPE wireguard_peer_handshake_failures_total counter
    wireguard_peer_handshake_failures_total{interface="wg0",public_key="HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=",reason="timeout"} 2
    wireguard_peer_handshake_failures_total{interface="wg0",public_key="HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=",reason="invalid_mac"} 0
    wireguard_peer_handshake_failures_total{interface="wg0",public_key="HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=",reason="decryption_failed"} 0
    wireguard_peer_handshake_failures_total{interface="wg0",public_key="HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=",reason="replayed_timestamp"} 0
    wireguard_peer_handshake_failures_total{interface="wg0",public_key="HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=",reason="initiation_flood"} 0
    wireguard_peer_handshake_failures_total{interface="wg0",public_key="HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=",reason="rate_limited"} 0
    wireguard_peer_handshake_failures_total{interface="wg0",public_key="HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=",reason="cookie_required"} 0
    wireguard_peer_handshake_failures_total{interface="wg0",public_key="HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=",reason="unexpected_response"} 0
    wireguard_peer_handshake_failures_total{interface="wg0",public_key="HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=",reason="invalid_cookie_reply"} 0
    wireguard_peer_handshake_failures_total{interface="wg0",public_key="xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",reason="timeout"} 0
    wireguard_peer_handshake_failures_total{interface="wg0",public_key="xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",reason="invalid_mac"} 0
    wireguard_peer_handshake_failures_total{interface="wg0",public_key="xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",reason="decryption_failed"} 0
    wireguard_peer_handshake_failures_total{interface="wg0",public_key="xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",reason="replayed_timestamp"} 0
    wireguard_peer_handshake_failures_total{interface="wg0",public_key="xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",reason="initiation_flood"} 0
    wireguard_peer_handshake_failures_total{interface="wg0",public_key="xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",reason="rate_limited"} 0
    wireguard_peer_handshake_failures_total{interface="wg0",public_key="xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",reason="cookie_required"} 0
    wireguard_peer_handshake_failures_total{interface="wg0",public_key="xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",reason="unexpected_response"} 0
    wireguard_peer_handshake_failures_total{interface="wg0",public_key="xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",reason="invalid_cookie_reply"} 0
    # HELP wireguard_peer_cookie_replies_received_total Cookie replies from the peer accepted
    # TYPE wireguard_peer_cookie_replies_received_total counter
    wireguard_peer_cookie_replies_received_total{interface="wg0",public_key="HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="} 1
    wireguard_peer_cookie_replies_received_total{interface="wg0",public_key="xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="} 0
    # HELP wireguard_peer_dropped_packets_total Packets to or from the peer dropped, by reason
    # TYPE wireguard_peer_dropped_packets_total counter
    wireguard_peer_dropped_packets_total{interface="wg0",public_key="HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=",reason="no_endpoint"} 0
    wireguard_peer_dropped_packets_total{interface="wg0",public_key="HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=",reason="bad_authentication"} 0
    wireguard_peer_dropped_packets_total{interface="wg0",public_key="HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=",reason="replay"} 5
    wireguard_peer_dropped_packets_total{interface="wg0",public_key="HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=",reason="source_not_allowed"} 1
    wireguard_peer_dropped_packets_total{interface="wg0",public_key="HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=",reason="invalid_inner_packet"} 0
    wireguard_peer_dropped_packets_total{interface="wg0",public_key="HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=",reason="queue_full"} 0
    wireguard_peer_dropped_packets_total{interface="wg0",public_key="xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",reason="no_endpoint"} 0
    wireguard_peer_dropped_packets_total{interface="wg0",public_key="xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",reason="bad_authentication"} 0
    wireguard_peer_dropped_packets_total{interface="wg0",public_key="xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",reason="replay"} 0
    wireguard_peer_dropped_packets_total{interface="wg0",public_key="xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",reason="source_not_allowed"} 0
    wireguard_peer_dropped_packets_total{interface="wg0",public_key="xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",reason="invalid_inner_packet"} 0
    wireguard_peer_dropped_packets_total{interface="wg0",public_key="xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",reason="queue_full"} 0
    # HELP wireguard_interface_peers Peers configured on the interface
    # TYPE wireguard_interface_peers gauge
    wireguard_interface_peers{interface="wg0"} 2
    # HELP wireguard_interface_handshakes_total Handshakes completed on the interface
    # TYPE wireguard_interface_handshakes_total counter
    wireguard_interface_handshakes_total{interface="wg0"} 3
    # HELP wireguard_interface_handshake_failures_total Failed handshakes and refused handshake messages, by reason
    # TYPE wireguard_interface_handshake_failures_total counter
    wireguard_interface_handshake_failures_total{interface="wg0",reason="timeout"} 2
    wireguard_interface_handshake_failures_total{interface="wg0",reason="invalid_mac"} 0
    wireguard_interface_handshake_failures_total{interface="wg0",reason="decryption_failed"} 0
    wireguard_interface_handshake_failures_total{interface="wg0",reason="unknown_peer"} 6
    wireguard_interface_handshake_failures_total{interface="wg0",reason="replayed_timestamp"} 0
    wireguard_interface_handshake_failures_total{interface="wg0",reason="initiation_flood"} 0
    wireguard_interface_handshake_failures_total{interface="wg0",reason="rate_limited"} 0
    wireguard_interface_handshake_failures_total{interface="wg0",reason="cookie_required"} 0
    wireguard_interface_handshake_failures_total{interface="wg0",reason="unexpected_response"} 0
    wireguard_interface_handshake_failures_total{interface="wg0",reason="invalid_cookie_reply"} 0
    # HELP wireguard_interface_cookie_replies_sent_total Cookie replies sent (under load)
    # TYPE wireguard_interface_cookie_replies_sent_total counter
    wireguard_interface_cookie_replies_sent_total{interface="wg0"} 7
    # HELP wireguard_interface_cookie_replies_received_total Cookie replies received and accepted
    # TYPE wireguard_interface_cookie_replies_received_total counter
    wireguard_interface_cookie_replies_received_total{interface="wg0"} 1
    # HELP wireguard_interface_dropped_packets_total Packets dropped on the interface, by reason
    # TYPE wireguard_interface_dropped_packets_total counter
    wireguard_interface_dropped_packets_total{interface="wg0",reason="no_peer"} 4
    wireguard_interface_dropped_packets_total{interface="wg0",reason="no_endpoint"} 0
    wireguard_interface_dropped_packets_total{interface="wg0",reason="invalid_tun_packet"} 0
    wireguard_interface_dropped_packets_total{interface="wg0",reason="malformed"} 0
    wireguard_interface_dropped_packets_total{interface="wg0",reason="unknown_session"} 0
    wireguard_interface_dropped_packets_total{interface="wg0",reason="bad_authentication"} 0
    wireguard_interface_dropped_packets_total{interface="wg0",reason="replay"} 5
    wireguard_interface_dropped_packets_total{interface="wg0",reason="source_not_allowed"} 1
    wireguard_interface_dropped_packets_total{interface="wg0",reason="invalid_inner_packet"} 0
    wireguard_interface_dropped_packets_total{interface="wg0",reason="queue_full"} 0
    wireguard_interface_dropped_packets_total{interface="wg0",reason="handshake_queue_full"} 0

    """
