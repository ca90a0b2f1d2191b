#!/usr/bin/env bash
# Runs every Go fuzz target of the repo in turn, each for FUZZTIME, and reports the
# executions per target and the crashes.
#
#   scripts/fuzz.sh [FUZZTIME]      FUZZTIME: a duration (3s, 1m) or a count (10000x)
#
# `make fuzz-smoke` (part of `make test`) runs it with 3s, `make fuzz` with FUZZTIME (60s).
# Targets are found with `go test -list '^Fuzz' ./...`, so a new FuzzXxx is picked up
# without changing anything here.
#
# A crash fails the run. Go writes the failing input to the package's
# testdata/fuzz/<FuzzXxx>/<hash>: reproduce it with `go test -run '^FuzzXxx/<hash>$' ./pkg/x`,
# fix the bug and commit that file with the fix; every later `go test` (and so `make test`)
# replays it as part of the target's seed corpus. The fuzzer's cache of interesting inputs
# (not committed) is kept in .cache/fuzz.
#
# Environment: GO (default go), FUZZMINIMIZETIME (default 1s), FUZZ_CACHE_DIR (default
# .cache/fuzz).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
GO=${GO:-go}
FUZZTIME=${1:-${FUZZTIME:-3s}}
MINIMIZETIME=${FUZZMINIMIZETIME:-1s}
CACHE_DIR=${FUZZ_CACHE_DIR:-$PWD/.cache/fuzz}
mkdir -p "$CACHE_DIR" || exit 1

tmp=$(mktemp -d "${TMPDIR:-/tmp}/realname-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# Discover: `go test -list` prints each package's matching names, then "ok <package>".
# (It runs each package's TestMain, so the emulator-backed packages start their emulators.)
if ! "$GO" test -list '^Fuzz' ./... >"$tmp/list" 2>&1; then
	cat "$tmp/list" >&2
	echo "fuzz: listing the fuzz targets failed" >&2
	exit 1
fi
awk '
	/^Fuzz[A-Za-z0-9_]*$/ { names[n++] = $0; next }
	/^ok[ \t]/ { for (i = 0; i < n; i++) print $2, names[i] }
	/^(ok|\?)[ \t]/ { n = 0 }
' "$tmp/list" >"$tmp/targets"
total=$(wc -l <"$tmp/targets")
if [ "$total" -eq 0 ]; then
	echo "fuzz: no fuzz targets found" >&2
	exit 1
fi
echo "fuzz: $total targets, $FUZZTIME each (minimize $MINIMIZETIME), cache $CACHE_DIR"

execs_total=0 crashes=0 failures=0 idle=()
while read -r pkg name; do
	out="$tmp/$name.out"
	start=$SECONDS
	# Per package, as go test itself does: the cache has a folder per target name only.
	fuzz_one() {
		"$GO" test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$MINIMIZETIME" \
			"$pkg" -test.fuzzcachedir="$CACHE_DIR/$pkg" </dev/null >"$out" 2>&1
	}
	fuzz_one
	rc=$?
	# Go 1.26's coordinator can report a bare "context deadline exceeded" when -fuzztime
	# ends while a worker is mid-call (golang/go#75804, fixed in Go 1.27): no input is
	# written and nothing reproduces. Run such a target once more; a second failure of any
	# kind, and any failure that wrote an input, counts.
	if [ "$rc" -ne 0 ] && grep -q 'context deadline exceeded' "$out" && ! grep -q 'Failing input written to' "$out"; then
		echo "fuzz: $name: bare deadline failure of the fuzz coordinator (golang/go#75804), running it again"
		fuzz_one
		rc=$?
	fi
	# The coordinator logs "fuzz: elapsed: 3s, execs: 4190 (1396/sec), ..." every 3 s and
	# once at the end; the last one is the total.
	execs=$(grep -oE '^fuzz: elapsed: [^,]+, execs: [0-9]+' "$out" | tail -n 1 | sed 's/.*execs: //')
	execs=${execs:-0}
	execs_total=$((execs_total + execs))
	status=ok
	if [ "$rc" -ne 0 ]; then
		if grep -q 'Failing input written to' "$out"; then
			status=CRASH
			crashes=$((crashes + 1))
		else
			status=FAIL
			failures=$((failures + 1))
		fi
	elif [ "$execs" -eq 0 ]; then
		status="ok, but 0 executions"
		idle+=("$name")
	fi
	printf 'fuzz: %-24s %-48s %10s execs %4ss  %s\n' "$name" "${pkg#github.com/realname-kyc/realname/}" "$execs" "$((SECONDS - start))" "$status"
	if [ "$rc" -ne 0 ]; then
		sed 's/^/    /' "$out"
	fi
done <"$tmp/targets"

summary="fuzz: $total targets, $execs_total executions, $crashes crashes"
[ "$failures" -gt 0 ] && summary+=", $failures other failures"
echo "$summary"
if [ "${#idle[@]}" -gt 0 ]; then
	echo "fuzz: warning: no executions within $FUZZTIME (start-up took it all): ${idle[*]}"
fi
[ "$crashes" -eq 0 ] && [ "$failures" -eq 0 ]
