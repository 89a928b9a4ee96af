#!/bin/sh
# Re-renders the conformance cases with Go's text/template and fails if the committed
# expectations differ. Run from anywhere; needs Go (tested with 1.19).
set -eu
dir=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
cd "$dir"
go run tests/go/gen.go tests/data/core-cases.json "$tmp"
if [ "${1:-}" = "--write" ]; then
	cp "$tmp" tests/data/core-expected.json
	echo "wrote tests/data/core-expected.json"
	exit 0
fi
diff -u tests/data/core-expected.json "$tmp"
echo "core-expected.json matches Go $(go env GOVERSION)"
