//! The Lua each decision runs, as the store sends it: one script per
//! decision, so every decision is one atomic step on the server (Redis
//! runs a script to its end before anything else). Published so that a
//! reviewer can read exactly what runs, and a benchmark can run the same
//! commands bare.
//!
//! Conventions, in every script:
//! - times are integers: microseconds since 1970 for the record times
//!   decisions compare (`exp_us`, `last`, `end`, send times), nanoseconds
//!   for the exact copies read back (`exp`, `created`, `used`); the
//!   caller's `now` always comes in `ARGV`, and Redis's own clock
//!   (`TIME`) is read only to drop hash entries whose time to live has
//!   run out (`prune`), never to decide;
//! - numbers going back to Redis are formatted with `%d` (Lua's own
//!   `tostring` would write `1.9e+15`);
//! - every key a script touches is in `KEYS`, and all of them share one
//!   hash tag, so each script runs on one Redis Cluster slot.
//!
//! ```
//! use latchkey_store_redis::lua;
//! assert!(lua::CODE_CONSUME.contains("HDEL"));
//! assert!(lua::SEND_RESERVE.contains("PX"));
//! ```

use std::sync::LazyLock;

use redis::Script;

/// Shared helpers: the Redis clock (for pruning only), dropping one
/// record's fields from an account's hash, and pruning the records whose
/// deadline (`<tag>:dl`, Redis's clock, ms) has passed.
macro_rules! helpers {
    () => {
        r#"
local function fmt(n) return string.format('%d', n) end
local function clock_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function drop_group(k, tag)
  local prefix = tag .. ':'
  for _, f in ipairs(redis.call('HKEYS', k)) do
    if string.sub(f, 1, #prefix) == prefix then redis.call('HDEL', k, f) end
  end
end
local function prune(k, now_ms)
  local all = redis.call('HGETALL', k)
  local dead, any = {}, false
  for i = 1, #all, 2 do
    if string.sub(all[i], -3) == ':dl' and tonumber(all[i + 1]) <= now_ms then
      dead[string.sub(all[i], 1, -4)] = true
      any = true
    end
  end
  if not any then return end
  for i = 1, #all, 2 do
    local tag = string.match(all[i], '^([^:]*):')
    if tag and dead[tag] then redis.call('HDEL', k, all[i]) end
  end
end
local function extend(k, deadline_ms)
  if redis.call('PEXPIRETIME', k) < deadline_ms then
    redis.call('PEXPIREAT', k, fmt(deadline_ms))
  end
end
"#
    };
}

/// `OtpStore::put`. `KEYS[1]` the account's codes hash; `ARGV`: purpose
/// tag, id, digest, expiry (ns), expiry (µs), max attempts, failed
/// attempts, deadline (ms since 1970: the expiry plus the linger). Replaces
/// the purpose's code whole and keeps the hash alive until its latest
/// deadline.
pub const CODE_PUT: &str = concat!(
    helpers!(),
    r#"
local k, p = KEYS[1], ARGV[1]
prune(k, clock_ms())
redis.call('HSET', k, p .. ':id', ARGV[2], p .. ':digest', ARGV[3], p .. ':exp', ARGV[4],
  p .. ':exp_us', ARGV[5], p .. ':max', ARGV[6], p .. ':fails', ARGV[7], p .. ':dl', ARGV[8])
extend(k, tonumber(ARGV[8]))
return 1
"#
);

/// `OtpStore::record_failure`. `KEYS[1]` the codes hash; `ARGV`: purpose
/// tag, id. Returns the failures so far after counting one, `-1` when the
/// code is gone or replaced, `-2` when its budget was already spent.
pub const CODE_FAIL: &str = r#"
local k, p = KEYS[1], ARGV[1]
local r = redis.call('HMGET', k, p .. ':id', p .. ':fails', p .. ':max')
if r[1] ~= ARGV[2] then return -1 end
if tonumber(r[2]) >= tonumber(r[3]) then return -2 end
return redis.call('HINCRBY', k, p .. ':fails', 1)
"#;

/// `OtpStore::consume`. `KEYS[1]` the codes hash; `ARGV`: purpose tag,
/// id, now (µs). Deletes the code and returns 1 only if it is the current
/// one, unexpired at `now` and within its budget.
pub const CODE_CONSUME: &str = concat!(
    helpers!(),
    r#"
local k, p = KEYS[1], ARGV[1]
local r = redis.call('HMGET', k, p .. ':id', p .. ':exp_us', p .. ':fails', p .. ':max')
if r[1] ~= ARGV[2] then return 0 end
if tonumber(ARGV[3]) >= tonumber(r[2]) then return 0 end
if tonumber(r[3]) >= tonumber(r[4]) then return 0 end
drop_group(k, p)
return 1
"#
);

/// `OtpStore::withdraw`. `KEYS[1]` the codes hash; `ARGV`: purpose tag,
/// id. Deletes the code only if it is still the current one.
pub const CODE_WITHDRAW: &str = concat!(
    helpers!(),
    r#"
local k, p = KEYS[1], ARGV[1]
if redis.call('HGET', k, p .. ':id') ~= ARGV[2] then return 0 end
drop_group(k, p)
return 1
"#
);

/// `OtpStore::void_all`. `KEYS[1]` the codes hash. Deletes it and returns
/// how many codes it held.
pub const CODE_VOID_ALL: &str = r#"
local n = 0
for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(f, -3) == ':id' then n = n + 1 end
end
redis.call('DEL', KEYS[1])
return n
"#;

/// `OtpStore::reserve_send`. `KEYS[1]` the account's sends (`<µs>:<1 if
/// it holds the cooldown, else 0>`, comma-separated); `ARGV`: now (µs),
/// cooldown (µs), hourly cap, linger (ms). Returns `{0, 0}` (reserved),
/// `{1, until}` (cooling down) or `{2, until}` (cap reached). The hour is
/// `(now - 1 h, now]`.
pub const SEND_RESERVE: &str = r#"
local now, cooldown, cap = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local hour = 3600000000
local kept, n, last, oldest, newest = {}, 0, nil, nil, now
for ts, h in string.gmatch(redis.call('GET', KEYS[1]) or '', '(%-?%d+):(%d)') do
  local t = tonumber(ts)
  if t > now - hour then
    n = n + 1
    kept[n] = ts .. ':' .. h
    if h == '1' and (last == nil or t > last) then last = t end
    if oldest == nil or t < oldest then oldest = t end
    if t > newest then newest = t end
  end
end
if last ~= nil and now < last + cooldown then return {1, last + cooldown} end
if n >= cap then return {2, (oldest or now) + hour} end
kept[n + 1] = ARGV[1] .. ':1'
local ttl = math.max(1, math.floor((newest - now) / 1000) + 3600000 + tonumber(ARGV[4]))
redis.call('SET', KEYS[1], table.concat(kept, ','), 'PX', string.format('%d', ttl))
return {0, 0}
"#;

/// `OtpStore::release_send`. `KEYS[1]` the sends; `ARGV`: the send's time
/// (µs). Frees the cooldown of that send, which still counts toward the
/// cap.
pub const SEND_RELEASE: &str = r#"
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local target, out, done = ARGV[1] .. ':1', {}, false
for tok in string.gmatch(raw, '[^,]+') do
  if not done and tok == target then
    tok = ARGV[1] .. ':0'
    done = true
  end
  out[#out + 1] = tok
end
if done then redis.call('SET', KEYS[1], table.concat(out, ','), 'KEEPTTL') end
return done and 1 or 0
"#;

/// `ChallengeStore::insert_challenge`. `KEYS[1]` the challenge; `ARGV`:
/// time to live (ms), then field, value pairs. Returns 0, storing
/// nothing, when the key is taken.
pub const CHALLENGE_INSERT: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
"#;

/// `ChallengeStore::reserve_attempt`. `KEYS[1]` the challenge; `ARGV`:
/// now (µs). Returns `{0}` (gone or expired), `{1}` (budget spent,
/// nothing counted) or `{2, fields}` (counted, the record after counting).
pub const CHALLENGE_ATTEMPT: &str = r#"
local k = KEYS[1]
local r = redis.call('HMGET', k, 'exp_us', 'att', 'max')
if not r[1] or tonumber(ARGV[1]) >= tonumber(r[1]) then return {0} end
if tonumber(r[2]) >= tonumber(r[3]) then return {1} end
redis.call('HINCRBY', k, 'att', 1)
return {2, redis.call('HGETALL', k)}
"#;

/// `ChallengeStore::consume_challenge`. `KEYS[1]` the challenge; `ARGV`:
/// now (µs). Deletes it and returns 1 only if it is unexpired at `now`.
pub const CHALLENGE_CONSUME: &str = r#"
local e = redis.call('HGET', KEYS[1], 'exp_us')
if not e or tonumber(ARGV[1]) >= tonumber(e) then return 0 end
redis.call('DEL', KEYS[1])
return 1
"#;

/// `ChallengeStore::purge_expired_challenges`, per key found. `ARGV`: now
/// (µs). Deletes the challenge if it expired at or before `now`.
pub const CHALLENGE_PURGE: &str = r#"
local e = redis.call('HGET', KEYS[1], 'exp_us')
if not e or tonumber(e) > tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
return 1
"#;

/// `ThrottleStore::reserve`. `KEYS[1]` the backoff counter; `ARGV`: now
/// (µs), free attempts, first wait (µs), longest wait (µs), lock bound.
/// Returns `{0, attempts}` (counted), `{1, at}` (wait until `at`) or `{2,
/// 0}` (locked). A counter with failures has no time to live.
pub const THROTTLE_RESERVE: &str = r#"
local k, now = KEYS[1], tonumber(ARGV[1])
local r = redis.call('HMGET', k, 'att', 'last')
local att = tonumber(r[1]) or 0
if att >= tonumber(ARGV[5]) then return {2, 0} end
if att > 0 then
  local free, wait = tonumber(ARGV[2]), 0
  if att >= free then
    wait = math.min(tonumber(ARGV[3]) * 2 ^ math.min(att - free, 30), tonumber(ARGV[4]))
  end
  local at = tonumber(r[2]) + wait
  if now < at then return {1, at} end
end
att = att + 1
redis.call('HSET', k, 'att', string.format('%d', att), 'last', ARGV[1])
redis.call('PERSIST', k)
return {0, att}
"#;

/// `ThrottleStore::clear`. `KEYS[1]` the backoff counter; `ARGV`: linger
/// (ms). Sets the count to zero; a cleared counter reserves like a
/// missing one, so it may expire after the linger.
pub const THROTTLE_CLEAR: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'att', '0')
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
"#;

/// `ThrottleStore::hit`. `KEYS[1]` the window; `ARGV`: now (µs), window
/// (µs), linger (ms). Returns `{end, hits}`; a hit at or after the end
/// starts a new window.
pub const THROTTLE_HIT: &str = r#"
local k, now = KEYS[1], tonumber(ARGV[1])
local r = redis.call('HMGET', k, 'end', 'n')
local e, n = tonumber(r[1]), tonumber(r[2]) or 0
if not e or now >= e then
  e = now + tonumber(ARGV[2])
  n = 0
end
n = n + 1
redis.call('HSET', k, 'end', string.format('%d', e), 'n', string.format('%d', n))
local ttl = math.max(1, math.floor((e - now) / 1000) + tonumber(ARGV[3]))
redis.call('PEXPIRE', k, string.format('%d', ttl))
return {e, n}
"#;

/// `ThrottleStore::purge_idle`, per backoff counter found. `ARGV`: idle
/// before (µs). Deletes it only if cleared and idle since before then.
pub const THROTTLE_PURGE_BACKOFF: &str = r#"
local r = redis.call('HMGET', KEYS[1], 'att', 'last')
if tonumber(r[1]) ~= 0 or tonumber(r[2]) >= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
return 1
"#;

/// `ThrottleStore::purge_idle`, per window found. `ARGV`: idle before
/// (µs). Deletes it if it ended at or before then.
pub const THROTTLE_PURGE_WINDOW: &str = r#"
local e = redis.call('HGET', KEYS[1], 'end')
if not e or tonumber(e) > tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
return 1
"#;

/// `DeviceStore::insert_device`, after the id was claimed. `KEYS[1]` the
/// account's devices hash; `ARGV`: device tag, time to live (ms), then
/// field, value pairs.
pub const DEVICE_INSERT: &str = concat!(
    helpers!(),
    r#"
local k, p = KEYS[1], ARGV[1]
local now_ms = clock_ms()
prune(k, now_ms)
drop_group(k, p)
local deadline = now_ms + tonumber(ARGV[2])
local args = {}
for i = 3, #ARGV, 2 do
  args[#args + 1] = p .. ':' .. ARGV[i]
  args[#args + 1] = ARGV[i + 1]
end
args[#args + 1] = p .. ':dl'
args[#args + 1] = fmt(deadline)
redis.call('HSET', k, unpack(args))
extend(k, deadline)
return 1
"#
);

/// `DeviceStore::touch_device`. `KEYS[1]` the devices hash; `ARGV`: device
/// tag, now (ns), and the client if any.
pub const DEVICE_TOUCH: &str = r#"
local k, p = KEYS[1], ARGV[1]
if redis.call('HEXISTS', k, p .. ':acct') == 0 then return 0 end
redis.call('HSET', k, p .. ':used', ARGV[2])
if ARGV[3] then
  redis.call('HSET', k, p .. ':client', ARGV[3])
else
  redis.call('HDEL', k, p .. ':client')
end
return 1
"#;

/// `DeviceStore::rename_device`. `KEYS[1]` the devices hash; `ARGV`:
/// device tag, account, label.
pub const DEVICE_RENAME: &str = r#"
local k, p = KEYS[1], ARGV[1]
if redis.call('HGET', k, p .. ':acct') ~= ARGV[2] then return 0 end
redis.call('HSET', k, p .. ':label', ARGV[3])
return 1
"#;

/// `DeviceStore::revoke_device`. `KEYS[1]` the devices hash; `ARGV`:
/// device tag, account. Of concurrent callers exactly one gets 1.
pub const DEVICE_REVOKE: &str = concat!(
    helpers!(),
    r#"
local k, p = KEYS[1], ARGV[1]
if redis.call('HGET', k, p .. ':acct') ~= ARGV[2] then return 0 end
drop_group(k, p)
return 1
"#
);

/// `DeviceStore::revoke_all_devices`. `KEYS[1]` the devices hash. Deletes
/// it and returns how many devices it held.
pub const DEVICE_REVOKE_ALL: &str = r#"
local n = 0
for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(f, -5) == ':acct' then n = n + 1 end
end
redis.call('DEL', KEYS[1])
return n
"#;

/// `DeviceStore::purge_expired_devices`, per devices hash found. `ARGV`:
/// now (µs). Deletes the devices expired at or before `now`.
pub const DEVICE_PURGE: &str = concat!(
    helpers!(),
    r#"
local k, now, n = KEYS[1], tonumber(ARGV[1]), 0
local all = redis.call('HGETALL', k)
for i = 1, #all, 2 do
  if string.sub(all[i], -7) == ':exp_us' and tonumber(all[i + 1]) <= now then
    drop_group(k, string.sub(all[i], 1, -8))
    n = n + 1
  end
end
return n
"#
);

/// `CliLoginStore::insert_cli_login`, once for the poll token's index and
/// once for the session: the same script as [`CHALLENGE_INSERT`]. `KEYS[1]`
/// the index or the session; `ARGV`: time to live (ms), then field, value
/// pairs. Returns 0, storing nothing, when the key is taken.
pub const CLI_LOGIN_INSERT: &str = CHALLENGE_INSERT;

/// `CliLoginStore::insert_cli_login`, when the session's id was taken after
/// its poll token's index was claimed. `KEYS[1]` the index; `ARGV`: the id
/// digest (hex) the claim named. Deletes the index only if it is still
/// that claim.
pub const CLI_LOGIN_UNCLAIM: &str = r#"
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
"#;

/// `CliLoginStore::decide_cli_login`. `KEYS[1]` the session; `ARGV`: now
/// (µs), the new state (`approved` or `denied`), and for an approval the
/// account and the stamp (hex). Returns 1 only if the session was live and
/// `pending`: of concurrent decisions exactly one.
pub const CLI_LOGIN_DECIDE: &str = r#"
local k = KEYS[1]
local r = redis.call('HMGET', k, 'exp_us', 'state')
if not r[1] or tonumber(ARGV[1]) >= tonumber(r[1]) then return 0 end
if r[2] ~= 'pending' then return 0 end
redis.call('HSET', k, 'state', ARGV[2])
if ARGV[3] then redis.call('HSET', k, 'acct', ARGV[3], 'stamp', ARGV[4]) end
return 1
"#;

/// `CliLoginStore::poll_cli_login`. `KEYS[1]` the session its poll token's
/// index named; `ARGV`: the poll digest (hex), now (µs), the least gap
/// between polls (µs). Returns `{0}` (gone: no session, another poll
/// digest, or expired at `now`); else records `now` as the last poll and
/// returns `{1}` (less than the gap after the previous poll) or `{2,
/// state}` with the state as the poll found it: an `approved` session
/// comes with its account and stamp, `{2, 'approved', account, stamp}`,
/// and is `claimed` by this poll, so no other poll gets them.
pub const CLI_LOGIN_POLL: &str = r#"
local k, now = KEYS[1], tonumber(ARGV[2])
local r = redis.call('HMGET', k, 'poll', 'exp_us', 'state', 'last')
if r[1] ~= ARGV[1] or not r[2] or now >= tonumber(r[2]) then return {0} end
redis.call('HSET', k, 'last', ARGV[2])
if r[4] and now < tonumber(r[4]) + tonumber(ARGV[3]) then return {1} end
if r[3] ~= 'approved' then return {2, r[3]} end
redis.call('HSET', k, 'state', 'claimed')
local a = redis.call('HMGET', k, 'acct', 'stamp')
return {2, r[3], a[1], a[2]}
"#;

/// `CliLoginStore::purge_expired_cli_logins`, per session and per poll
/// token's index found: the same script as [`CHALLENGE_PURGE`] (both hold
/// the session's `exp_us`). `ARGV`: now (µs). Deletes the key if the
/// session expired at or before `now`.
pub const CLI_LOGIN_PURGE: &str = CHALLENGE_PURGE;

/// Every script, loaded once (its SHA-1 computed once); `redis::Script`
/// sends `EVALSHA` and, when the server does not know it (it restarted),
/// loads it and sends it again.
pub(crate) struct Scripts {
    pub(crate) code_put: Script,
    pub(crate) code_fail: Script,
    pub(crate) code_consume: Script,
    pub(crate) code_withdraw: Script,
    pub(crate) code_void_all: Script,
    pub(crate) send_reserve: Script,
    pub(crate) send_release: Script,
    pub(crate) challenge_insert: Script,
    pub(crate) challenge_attempt: Script,
    pub(crate) challenge_consume: Script,
    pub(crate) challenge_purge: Script,
    pub(crate) throttle_reserve: Script,
    pub(crate) throttle_clear: Script,
    pub(crate) throttle_hit: Script,
    pub(crate) throttle_purge_backoff: Script,
    pub(crate) throttle_purge_window: Script,
    pub(crate) device_insert: Script,
    pub(crate) device_touch: Script,
    pub(crate) device_rename: Script,
    pub(crate) device_revoke: Script,
    pub(crate) device_revoke_all: Script,
    pub(crate) device_purge: Script,
    pub(crate) cli_login_insert: Script,
    pub(crate) cli_login_unclaim: Script,
    pub(crate) cli_login_decide: Script,
    pub(crate) cli_login_poll: Script,
    pub(crate) cli_login_purge: Script,
}

pub(crate) static SCRIPTS: LazyLock<Scripts> = LazyLock::new(|| Scripts {
    code_put: Script::new(CODE_PUT),
    code_fail: Script::new(CODE_FAIL),
    code_consume: Script::new(CODE_CONSUME),
    code_withdraw: Script::new(CODE_WITHDRAW),
    code_void_all: Script::new(CODE_VOID_ALL),
    send_reserve: Script::new(SEND_RESERVE),
    send_release: Script::new(SEND_RELEASE),
    challenge_insert: Script::new(CHALLENGE_INSERT),
    challenge_attempt: Script::new(CHALLENGE_ATTEMPT),
    challenge_consume: Script::new(CHALLENGE_CONSUME),
    challenge_purge: Script::new(CHALLENGE_PURGE),
    throttle_reserve: Script::new(THROTTLE_RESERVE),
    throttle_clear: Script::new(THROTTLE_CLEAR),
    throttle_hit: Script::new(THROTTLE_HIT),
    throttle_purge_backoff: Script::new(THROTTLE_PURGE_BACKOFF),
    throttle_purge_window: Script::new(THROTTLE_PURGE_WINDOW),
    device_insert: Script::new(DEVICE_INSERT),
    device_touch: Script::new(DEVICE_TOUCH),
    device_rename: Script::new(DEVICE_RENAME),
    device_revoke: Script::new(DEVICE_REVOKE),
    device_revoke_all: Script::new(DEVICE_REVOKE_ALL),
    device_purge: Script::new(DEVICE_PURGE),
    cli_login_insert: Script::new(CLI_LOGIN_INSERT),
    cli_login_unclaim: Script::new(CLI_LOGIN_UNCLAIM),
    cli_login_decide: Script::new(CLI_LOGIN_DECIDE),
    cli_login_poll: Script::new(CLI_LOGIN_POLL),
    cli_login_purge: Script::new(CLI_LOGIN_PURGE),
});
