// SPDX-License-Identifier: MIT
// Prints the protocol core's throughput figures. Build with `swift build -c release`.

import WireGuardBenchmarks

Benchmarks.main(arguments: Array(CommandLine.arguments.dropFirst()))
