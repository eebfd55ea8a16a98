// SPDX-License-Identifier: MIT
import Testing
import WireGuardDevice
import WireGuardTestSupport

@Suite struct LoggerTests {
    @Test func levelsFromEnvironment() {
        #expect(Logger.Level(environment: "debug") == .verbose)
        #expect(Logger.Level(environment: "verbose") == .verbose)
        #expect(Logger.Level(environment: "silent") == .silent)
        #expect(Logger.Level(environment: nil) == .error)
        #expect(Logger.Level(environment: "loud") == .error)
    }

    @Test func lineFormatLikeWireGuardGo() {
        let lines = Ref<[String]>([])
        let logger = Logger(level: .verbose, interface: "wg0") { lines.value.append($0) }
        logger.verbose("hello")
        logger.error("bad")
        #expect(lines.value.count == 2)
        #expect(lines.value[0].hasPrefix("DEBUG: (wg0) 2"))
        #expect(lines.value[0].hasSuffix(" hello\n"))
        #expect(lines.value[1].hasPrefix("ERROR: (wg0) "))
    }

    @Test func networkProvokedLinesAreLimited() {
        let lines = Ref<[String]>([])
        let logger = Logger(level: .verbose, interface: "wg0", burst: 5) { lines.value.append($0) }
        for _ in 0..<1000 { logger.limited("rejected", nowSeconds: 100) }
        #expect(lines.value.count == 5)
        logger.limited("rejected", nowSeconds: 101)
        #expect(lines.value.count == 7)
        #expect(lines.value[5].hasSuffix("995 similar messages suppressed\n"))
    }

    @Test func silentAndErrorLevelsDropVerbose() {
        let lines = Ref<[String]>([])
        let logger = Logger(level: .error, interface: "wg0") { lines.value.append($0) }
        logger.verbose("v")
        logger.limited("l", nowSeconds: 1)
        logger.error("e")
        #expect(lines.value.count == 1)
        let silent = Logger(level: .silent, interface: "wg0") { lines.value.append($0) }
        silent.error("x")
        #expect(lines.value.count == 1)
    }
}
