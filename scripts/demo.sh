#!/usr/bin/env bash
# The namespace tunnel demo needs the daemon (issue 3), which does not exist yet. Say so plainly and fail.
echo "demo: the wireguard-swift daemon is not built yet (issue 3); run ./scripts/test.sh for the protocol core" >&2
exit 1
