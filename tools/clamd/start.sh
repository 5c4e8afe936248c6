#!/usr/bin/env bash
# Starts a clamd for development and tests on the signature database shipped in tools/clamd/db (EICAR and
# ClamAV's own harmless test files; no official signatures are downloaded here).
#
#   tools/clamd/start.sh [port]        # default 3310; exits 0 at once when a clamd already answers there
#
# Limits are the production ones (see docs/operations/virus-scanning.md); tests may lower them through the
# environment (CLAMD_MAX_FILE_SIZE, CLAMD_MAX_SCAN_SIZE, CLAMD_MAX_FILES, CLAMD_MAX_RECURSION,
# CLAMD_STREAM_MAX_LENGTH, CLAMD_MAX_SCAN_TIME) so a bomb test needs megabytes, not gigabytes.
# Other knobs: CLAMD_DB (database directory), CLAMD_RUN_DIR (config, pid file, log; default a temp dir per
# port), CLAMD_BIN (default clamd on PATH or /usr/sbin/clamd).
set -euo pipefail

port="${1:-${CLAMD_PORT:-3310}}"
here="$(cd "$(dirname "$0")" && pwd)"
db="${CLAMD_DB:-$here/db}"
run="${CLAMD_RUN_DIR:-${TMPDIR:-/tmp}/torii-clamd-$port}"
bin="${CLAMD_BIN:-$(command -v clamd || echo /usr/sbin/clamd)}"

ping_clamd() {
  # clamd's z-commands are NUL terminated; the answer is "PONG\0".
  local reply=''
  { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 1
  printf 'zPING\0' >&3
  IFS= read -r -t 2 -d '' reply <&3 || true
  exec 3<&- 3>&- || true
  [ "$reply" = "PONG" ]
}

if ping_clamd; then
  echo "clamd already answers on 127.0.0.1:$port"
  exit 0
fi

if [ ! -x "$bin" ]; then
  echo "clamd not found: apt-get install -y clamav-daemon clamav-testfiles" >&2
  exit 1
fi

mkdir -p "$run"
# clamd drops to its configured user; running as root in CI keeps the temp dir and database readable.
user_line=''
if [ "$(id -u)" = 0 ]; then user_line='User root'; fi

cat >"$run/clamd.conf" <<EOF
TCPSocket $port
TCPAddr 127.0.0.1
LocalSocket $run/clamd.sock
PidFile $run/clamd.pid
LogFile $run/clamd.log
LogTime yes
Foreground no
$user_line
DatabaseDirectory $db
TemporaryDirectory $run
# AV4: archives nested 20 levels deep are scanned (clamd counts the scanned attachment itself as one level).
MaxRecursion ${CLAMD_MAX_RECURSION:-21}
# Bombs are bounded in files, bytes and time; AlertExceedsMax reports a hit limit as
# Heuristics.Limits.Exceeded.* (virus-scan: unscannable) instead of a silent "OK".
MaxFiles ${CLAMD_MAX_FILES:-10000}
MaxScanSize ${CLAMD_MAX_SCAN_SIZE:-400M}
MaxFileSize ${CLAMD_MAX_FILE_SIZE:-150M}
MaxScanTime ${CLAMD_MAX_SCAN_TIME:-120000}
AlertExceedsMax yes
# Above the 100 MB message limit (SPEC P8). A longer stream is refused ("INSTREAM size limit exceeded") and
# clamd resets the connection; virus-scan's INSTREAM client still reads that answer and makes the part unscannable.
StreamMaxLength ${CLAMD_STREAM_MAX_LENGTH:-150M}
# AV5: password-protected archives and documents are reported (Heuristics.Encrypted.*).
AlertEncrypted yes
AlertEncryptedArchive yes
AlertEncryptedDoc yes
ScanMail yes
ScanArchive yes
ScanPDF yes
ScanOLE2 yes
ScanHTML yes
MaxThreads ${CLAMD_MAX_THREADS:-4}
ReadTimeout 120
CommandReadTimeout 30
SelfCheck 3600
EOF

"$bin" --config-file="$run/clamd.conf"

for _ in $(seq 1 100); do
  if ping_clamd; then
    echo "clamd answers on 127.0.0.1:$port (config $run/clamd.conf)"
    exit 0
  fi
  sleep 0.1
done
echo "clamd did not answer PING on 127.0.0.1:$port; log: $run/clamd.log" >&2
tail -20 "$run/clamd.log" >&2 || true
exit 1
