#!/usr/bin/env bash
# Statistical timing tests (dudect, issue 16): runs the dudect bench
# binaries and prints one line per test with its max |t|.
#
#   benches/timing.sh                      # full counts
#   COMPARISONS=100000 SIGN_INS=2000 benches/timing.sh   # quicker
#
# Counts (measurements per test, both classes together):
#   COMPARISONS  default 1,000,000: timing_comparisons (mailed code, recovery
#                code look-up, TOTP window, ticket cancel code, device token)
#   SIGN_INS     default 10,000: timing_sign_in (unknown login vs wrong
#                password, CredentialChecker::check and SignIn::start)
# The bar: max |t| < 5 at those counts; |t| >= 5 (confirmed by a rerun)
# means the two classes are told apart by time. Not run in CI (benches are
# only compiled there). Run on a quiet machine; NICE=15 to be polite.
set -euo pipefail
cd "$(dirname "$0")/.."

COMPARISONS="${COMPARISONS:-1000000}"
SIGN_INS="${SIGN_INS:-10000}"
NICE="${NICE:-0}"

run() {
    local bench="$1" samples="$2" out log
    log="$(mktemp)"
    if ! out="$(nice -n "$NICE" cargo bench -q -p latchkey-benches --bench "$bench" -- --samples "$samples" 2>"$log")"; then
        printf '%s\n' "$out"
        cat "$log" >&2
        rm -f "$log"
        echo "$bench failed" >&2
        return 1
    fi
    rm -f "$log"
    # dudect prints "bench NAME ... : n == +0.5M, max t = +1.2, max tau = ..., (5/tau)^2 = ...".
    printf '%s\n' "$out" | awk -v samples="$samples" '
        /max t =/ {
            name = $2
            line = $0
            sub(/.*max t = /, "", line); sub(/,.*/, "", line)
            t = line + 0; if (t < 0) t = -t
            n = $0; sub(/.*n == /, "", n); sub(/,.*/, "", n)
            verdict = (t < 5) ? "ok" : "LEAK?"
            printf "%-45s samples=%-8d n=%-8s max|t|=%8.3f  %s\n", name, samples, n, t, verdict
        }'
}

run timing_comparisons "$COMPARISONS"
run timing_sign_in "$SIGN_INS"
