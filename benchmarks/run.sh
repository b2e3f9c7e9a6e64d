#!/usr/bin/env bash
# Runs every benchmark that BENCHMARKS.md reports and prints its benchstat
# tables. The runs are interleaved — ROUNDS passes of everything, each pass
# with -count 1 — so that load from other processes on a shared machine
# spreads over all implementations instead of hitting one of them.
#
#   benchmarks/run.sh [out-dir]     (default /tmp/fgakit-bench; ROUNDS=6)
#
# Raw results: out-dir/peers.txt (this module) and out-dir/inmodule.txt
# (the fgakit module's own benchmarks of token, cache and authz).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-/tmp/fgakit-bench}
rounds=${ROUNDS:-6}
benchstat=${BENCHSTAT:-go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da}
mkdir -p "$out"
: >"$out/peers.txt"
: >"$out/inmodule.txt"
for i in $(seq "$rounds"); do
	echo "round $i of $rounds" >&2
	(cd "$here" && go test -run '^$' -bench . -benchmem -count 1 ./...) >>"$out/peers.txt"
	(cd "$here/.." && go test -run '^$' -bench . -benchmem -count 1 ./token/ ./cache/ ./authz/) >>"$out/inmodule.txt"
done

table() { # title, benchstat arguments...
	echo
	echo "### $1"
	echo
	echo '```'
	shift
	$benchstat "$@"
	echo '```'
}
p=$out/peers.txt
table "Verify: fresh token, side by side (base: golang-jwt)" -table .name -col '/impl@(golang-jwt fgakit fgakit-static keyfunc go-oidc)' -filter '.name:Verify -/impl:fgakit-cached' "$p"
table "Verify: token seen before, cache on (base: fgakit fresh)" -table .name -col '/impl@(fgakit fgakit-cached)' -filter '.name:Verify (/impl:fgakit OR /impl:fgakit-cached)' "$p"
table "Token layer" -table .name -filter '.name:TokenLayer' "$p"
table "One API check (base: hand-written net/http POST)" -table .name -col '/impl@(net-http fgakit)' -filter '.name:Check' "$p"
table "1,000 concurrent identical checks, 2 ms server latency (base: one check)" -table .name -col '/impl@(one-check fgakit net-http goroutines-only)' -filter '.name:ConcurrentIdentical' "$p"
table "CheckMany, 1,000 distinct resources, 2 ms server latency (base: sequential loop)" -table .name -col '/impl@(loop fgakit-c16 fgakit-default goroutines)' -filter '.name:CheckMany' "$p"
table "CheckMany, 1,000 children of one parent, parent named, 2 ms server latency (base: per-item checks)" -table .name -col '/impl@(checks ChildrenOf UnderParent)' -filter '.name:CheckManyParent' "$p"
table "In-module benchmarks (token, cache, authz)" "$out/inmodule.txt"
