#!/usr/bin/env bash
# Compare latchkey's Hasher with argon2-cffi at the same Argon2id settings.
#
#   benches/compare_argon2.sh            # from anywhere in the workspace
#   CFFI_RUNS=25 benches/compare_argon2.sh
#
# 1. cargo bench -p latchkey-benches --bench argon2 (release, criterion);
# 2. benches/argon2_cffi_timing.py (median of CFFI_RUNS runs, default 15);
# 3. a table of medians, latchkey/cffi ratios and the targets we are held to:
#    ratio <= 0.85 at m=19456,t=2,p=1 and <= 0.5 at m=65536,t=3,p=4.
#
# Criterion's medians are read from
# $CRITERION_HOME/argon2_<setting>/<hash|verify>/new/estimates.json
# (median.point_estimate, in ns); CRITERION_HOME is set to
# <cargo target dir>/criterion. The machine's load average is printed
# because concurrent builds skew both sides (2 cores here).
#
#   ROUNDS=3 benches/compare_argon2.sh   # repeat, then the median of each
#                                        # ratio: host noise lands on one side
#                                        # of a single round, less on a median
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [ "${ROUNDS:-1}" -gt 1 ]; then
    rows="$(mktemp)"
    trap 'rm -f "$rows"' EXIT
    for round in $(seq "$ROUNDS"); do
        echo "== round $round of $ROUNDS" >&2
        ROUNDS=1 "$here/compare_argon2.sh" | tee /dev/stderr | grep -E '^m=' >>"$rows"
    done
    echo "== median of $ROUNDS rounds (ratio = latchkey / cffi)"
    "${PYTHON:-python3}" - "$rows" <<'PY'
import statistics, sys
ratios = {}
for line in open(sys.argv[1]):
    f = line.split()
    ratios.setdefault((f[0], f[1], f[-2]), []).append(float(f[5]))
for (params, op, target), values in ratios.items():
    med = statistics.median(values)
    met = "yes" if med <= float(target) else "NO"
    print(f"{params:<18}{op:<8} rounds {', '.join(f'{v:.2f}' for v in values):<20} median {med:.2f}  target <= {target}  {met}")
PY
    exit 0
fi
root="$(cd "$here/.." && pwd)"
cd "$root"

python="${PYTHON:-python3}"
target_dir="$(cargo metadata --format-version 1 --no-deps |
    "$python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
export CRITERION_HOME="$target_dir/criterion"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== build"
cargo bench -p latchkey-benches --bench argon2 --no-run

load_bench="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
touch "$work/start"
echo "== latchkey (criterion), load average before: $load_bench"
cargo bench -p latchkey-benches --bench argon2

load_cffi="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
echo "== argon2-cffi, load average before: $load_cffi"
"$python" "$here/argon2_cffi_timing.py" --runs "${CFFI_RUNS:-15}" --json >"$work/cffi.json"

echo "== comparison"
"$python" - "$CRITERION_HOME" "$work/cffi.json" "$work/start" "$load_bench" "$load_cffi" <<'PY'
import json, os, sys

crit_home, cffi_path, start_marker, load_bench, load_cffi = sys.argv[1:6]
started = os.path.getmtime(start_marker)
cffi = json.load(open(cffi_path))
meta, res = cffi["meta"], cffi["results"]

SETTINGS = [
    ("default", "m=19456,t=2,p=1", 0.85),
    ("rfc9106_second", "m=65536,t=3,p=4", 0.5),
]

def latchkey_ms(setting, op):
    path = os.path.join(crit_home, f"argon2_{setting}", op, "new", "estimates.json")
    if os.path.getmtime(path) < started:
        sys.exit(f"stale criterion result (the bench did not rewrite it): {path}")
    est = json.load(open(path))
    return est["median"]["point_estimate"] / 1e6

rows = []
missed = 0
for setting, params, target in SETTINGS:
    r = res[setting]
    for op, cffi_key in (("hash", "hash_ms"), ("verify", "verify_ms")):
        ours = latchkey_ms(setting, op)
        theirs = r[cffi_key]
        ratio = ours / theirs
        ok = ratio <= target
        missed += not ok
        rows.append((params, op, ours, theirs, r["raw_ms"], ratio, target, ok))

print(f"argon2-cffi {meta['argon2_cffi']} (bindings {meta['argon2_cffi_bindings']}), "
      f"median of {meta['runs']} runs after {meta['warmup']} warm-up; {meta['cpus']} CPUs")
print(f"cffi threads: {meta['threads']}")
for setting, params, _ in SETTINGS:
    r = res[setting]
    print(f"  {params}: {r['worker_threads']} worker threads seen, cpu/wall {r['cpu_per_wall']:.2f}")
print(f"cffi SIMD: {meta['simd']}")
print(f"load average (1/5/15 min) before latchkey: {load_bench}; before cffi: {load_cffi}")
print()
hdr = f"{'settings':<18}{'op':<8}{'latchkey ms':>12}{'cffi ms':>10}{'cffi raw ms':>12}{'ratio':>8}{'target':>9}  met"
print(hdr)
print("-" * len(hdr))
for params, op, ours, theirs, raw, ratio, target, ok in rows:
    print(f"{params:<18}{op:<8}{ours:>12.2f}{theirs:>10.2f}{raw:>12.2f}{ratio:>8.2f}{'<= ' + str(target):>9}  {'yes' if ok else 'NO'}")
print()
print("ratio = latchkey median / cffi median of the same operation "
      "(Hasher::hash vs PasswordHasher.hash, Hasher::verify vs PasswordHasher.verify);")
print("'cffi raw' is argon2.low_level.hash_secret_raw alone (no salt generation or PHC encoding).")
print("all targets met" if missed == 0 else f"{missed} of {len(rows)} ratios miss their target")
PY
