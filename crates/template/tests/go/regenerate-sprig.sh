#!/bin/sh
# Re-evaluates the Sprig cases with the real Sprig (Debian's golang-github-masterminds-sprig-dev,
# Sprig 3.2.3, built in GOPATH mode) and fails if the committed expectations differ.
# Run from anywhere; needs Go (tested with 1.19) and the Debian packages
# golang-github-masterminds-sprig-dev and golang-gopkg-yaml.v2-dev. `--write` updates the file.
set -eu
dir=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
cd "$dir"
GO111MODULE=off GOPATH="${SPRIG_GOPATH:-/usr/share/gocode}" TZ=UTC \
	go run tests/go/sprig_gen.go tests/data/sprig-cases.json "$tmp"
if [ "${1:-}" = "--write" ]; then
	cp "$tmp" tests/data/sprig-expected-go.json
	echo "wrote tests/data/sprig-expected-go.json"
else
	diff -u tests/data/sprig-expected-go.json "$tmp"
	echo "sprig-expected-go.json matches Sprig 3.2.3 with Go $(go env GOVERSION)"
fi

# The date templates (tests/data/date-cases.json) carry their expected outputs; re-render them.
GO111MODULE=off GOPATH="${SPRIG_GOPATH:-/usr/share/gocode}" TZ=UTC \
	go run tests/go/date_gen.go tests/data/date-cases.json "$tmp"
if [ "${1:-}" = "--write" ]; then
	cp "$tmp" tests/data/date-cases.json
	echo "wrote tests/data/date-cases.json"
	exit 0
fi
diff -u tests/data/date-cases.json "$tmp"
echo "date-cases.json matches Sprig 3.2.3 with Go $(go env GOVERSION)"
