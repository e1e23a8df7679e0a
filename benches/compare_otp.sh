#!/usr/bin/env bash
# Run the OTP bench and print each figure with its ratios against the
# precomputed-key HMAC floor and totp-rs 6 (all measured in the same run).
#
#   benches/compare_otp.sh
#
# Targets we are held to:
#   totp_generate:               latchkey <= 1.05x floor, totp-rs/latchkey >= 1.4
#   totp_verify_wrong_window1:   totp-rs/latchkey >= 1.35
#   mailed_code_check:           latchkey <= 150 ns
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python="${PYTHON:-python3}"
target_dir="$(cargo metadata --format-version 1 --no-deps |
    "$python" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
export CRITERION_HOME="$target_dir/criterion"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
cargo bench -p latchkey-benches --bench otp
"$python" - "$CRITERION_HOME" <<'PY'
import json, os, sys
home = sys.argv[1]
def ns(group, name):
    with open(os.path.join(home, group, name, "new", "estimates.json")) as f:
        return json.load(f)["median"]["point_estimate"]
g = "totp_generate"
floor, ours, theirs = ns(g, "floor_hmac"), ns(g, "latchkey"), ns(g, "totp_rs")
print(f"{g}: floor {floor:.1f} ns, latchkey {ours:.1f} ns ({ours/floor:.3f}x floor, target <= 1.05), "
      f"totp-rs {theirs:.1f} ns (latchkey {theirs/ours:.2f}x faster, target >= 1.4)")
value, fmt = ns(g, "latchkey_value_only"), ns(g, "latchkey_format_only")
print(f"  breakdown: numeric code (Hotp::value) {value:.1f} ns ({value/floor:.3f}x floor), "
      f"formatting the digits (OtpCode::new) {fmt:.1f} ns")
g = "totp_verify_wrong_window1"
floor, ours, theirs = ns(g, "floor_hmac"), ns(g, "latchkey"), ns(g, "totp_rs")
print(f"{g}: floor {floor:.1f} ns, latchkey {ours:.1f} ns ({ours/floor:.3f}x floor), "
      f"totp-rs {theirs:.1f} ns (latchkey {theirs/ours:.2f}x faster, target >= 1.35)")
g = "mailed_code_check"
floor, ours = ns(g, "floor_hmac_sha256_ct_eq"), ns(g, "latchkey")
print(f"{g}: floor {floor:.1f} ns, latchkey {ours:.1f} ns ({ours/floor:.3f}x floor, target <= 150 ns)")
PY
