#!/usr/bin/env bash
# Install a cached, offline-capable code-server (VS Code for the browser) + Chromium
# for the end-to-end UI tests in test/e2e/.
#
# Idempotent: a stamp file in the cache dir makes re-runs take well under a second.
# Cache dir (outside git): ${SEQ2SEQ_E2E_CACHE:-$HOME/.cache/seq2seq-lab-e2e}
#
# Usage:  bash scripts/e2e/setup.sh          # install if needed, print the code-server dir
#         bash scripts/e2e/setup.sh --force  # reinstall code-server from scratch
#
# Why not `npm install code-server`: as root it needs --unsafe-perm, and the
# @vscode/ripgrep postinstall downloads a binary from a host this machine cannot
# reach. So we unpack the tarball, install without scripts, rebuild the native
# modules explicitly against the local Node, and point ripgrep at the system `rg`.
set -euo pipefail

CODE_SERVER_VERSION="${SEQ2SEQ_E2E_CODE_SERVER_VERSION:-4.100.3}"
CACHE="${SEQ2SEQ_E2E_CACHE:-$HOME/.cache/seq2seq-lab-e2e}"
DEST="$CACHE/code-server-$CODE_SERVER_VERSION"
STAMP="$DEST/.seq2seq-e2e-ready"
APT_PACKAGES=(chromium ripgrep libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config build-essential python3)

T0=$(date +%s)
log() { printf '[e2e-setup %3ss] %s\n' "$(( $(date +%s) - T0 ))" "$*" >&2; }
die() { printf '[e2e-setup] ERROR: %s\n' "$*" >&2; exit 1; }
trap 'rc=$?; if [ $rc -ne 0 ]; then printf "[e2e-setup] FAILED (exit %s) after %ss: %s\n" "$rc" "$(( $(date +%s) - T0 ))" "$BASH_COMMAND" >&2; fi' EXIT

FORCE=0
[ "${1:-}" = "--force" ] && FORCE=1

command -v node >/dev/null || die "node not found on PATH (Node 20 is required by code-server $CODE_SERVER_VERSION)"
NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')
[ "$NODE_MAJOR" = "20" ] || log "warning: Node $NODE_MAJOR found; code-server $CODE_SERVER_VERSION is built for Node 20"

# ---------------------------------------------------------------- apt packages
missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    # python3 may come from elsewhere (pyenv); accept any python3 on PATH.
    if [ "$p" = python3 ] && command -v python3 >/dev/null; then continue; fi
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing missing apt packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || die "need root (or sudo) to install: ${missing[*]}"
    SUDO=sudo
  fi
  # Another apt may be running (other tools on the machine): wait for the dpkg lock.
  APT_OPTS=(-o DPkg::Lock::Timeout=600)
  $SUDO apt-get "${APT_OPTS[@]}" update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get "${APT_OPTS[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install failed for: ${missing[*]}"
fi
command -v rg >/dev/null || die "ripgrep (rg) missing after apt install"
CHROMIUM="${SEQ2SEQ_E2E_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
[ -n "$CHROMIUM" ] || die "chromium not found (apt package 'chromium')"

# ---------------------------------------------------------------- cached fast path
if [ $FORCE = 0 ] && [ -f "$STAMP" ] && [ -f "$DEST/out/node/entry.js" ]; then
  log "cached: $DEST (chromium: $CHROMIUM)"
  echo "$DEST"
  exit 0
fi

# ---------------------------------------------------------------- code-server
mkdir -p "$CACHE"
# Serialise concurrent installs; another run may have finished while we waited.
if command -v flock >/dev/null; then
  exec 9>"$CACHE/.install.lock"
  flock -w 900 9 || die "timed out waiting for another setup run (lock $CACHE/.install.lock)"
  if [ $FORCE = 0 ] && [ -f "$STAMP" ]; then log "installed by a concurrent run: $DEST"; echo "$DEST"; exit 0; fi
fi
WORK="$CACHE/tmp-$$"
rm -rf "$WORK" "$DEST"
mkdir -p "$WORK"
cleanup_work() { rm -rf "$WORK"; }
trap 'rc=$?; cleanup_work; if [ $rc -ne 0 ]; then printf "[e2e-setup] FAILED (exit %s) after %ss: %s\n" "$rc" "$(( $(date +%s) - T0 ))" "$BASH_COMMAND" >&2; rm -rf "$DEST"; fi' EXIT

export npm_config_yes=true npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
NPM_QUIET=(--no-fund --no-audit --loglevel=error)

log "npm pack code-server@$CODE_SERVER_VERSION"
( cd "$WORK" && npm pack "code-server@$CODE_SERVER_VERSION" "${NPM_QUIET[@]}" >/dev/null ) \
  || die "npm pack code-server@$CODE_SERVER_VERSION failed (is the npm registry reachable?)"
tar -xzf "$WORK"/code-server-*.tgz -C "$WORK" || die "could not unpack the code-server tarball"
mv "$WORK/package" "$DEST"

log "npm install (top level, no scripts)"
( cd "$DEST" && npm install --omit=dev --ignore-scripts "${NPM_QUIET[@]}" ) || die "npm install failed in $DEST"

log "npm install (lib/vscode, no scripts)"
( cd "$DEST/lib/vscode" && npm install --omit=dev --ignore-scripts "${NPM_QUIET[@]}" ) || die "npm install failed in lib/vscode"

log "rebuilding native modules in lib/vscode (node-gyp; this is the slow part)"
( cd "$DEST/lib/vscode" && npm rebuild @parcel/watcher @vscode/spdlog kerberos native-watchdog node-pty @vscode/deviceid "${NPM_QUIET[@]}" ) \
  || die "native rebuild failed in lib/vscode (needs build-essential, python3, libkrb5-dev, libx11-dev, libxkbfile-dev, libsecret-1-dev)"

log "rebuilding argon2 (top level)"
( cd "$DEST" && npm rebuild argon2 "${NPM_QUIET[@]}" ) || die "npm rebuild argon2 failed"

log "linking @vscode/ripgrep to system rg"
RGDIR="$DEST/lib/vscode/node_modules/@vscode/ripgrep"
[ -d "$RGDIR" ] || die "expected $RGDIR after npm install"
mkdir -p "$RGDIR/bin"
ln -sf "$(command -v rg)" "$RGDIR/bin/rg"

log "linking node_modules.asar -> node_modules"
ln -sfn node_modules "$DEST/lib/vscode/node_modules.asar"

log "npm install (lib/vscode/extensions, no scripts)"
( cd "$DEST/lib/vscode/extensions" && npm install --omit=dev --ignore-scripts "${NPM_QUIET[@]}" ) \
  || die "npm install failed in lib/vscode/extensions"

log "sanity check: code-server --version"
VERSION_OUT=$(cd "$DEST" && timeout 60 node out/node/entry.js --config /dev/null --version 2>&1) || die "code-server --version failed: $VERSION_OUT"
log "code-server: $(echo "$VERSION_OUT" | head -1)"
# Native modules load check (fail now rather than at first test run).
( cd "$DEST/lib/vscode" && timeout 60 node -e '
  for (const m of ["@parcel/watcher","@vscode/spdlog","node-pty","native-watchdog","kerberos","@vscode/deviceid"]) {
    try { require(m); } catch (e) { console.error("cannot load " + m + ": " + e.message); process.exit(1); }
  }' ) || die "a rebuilt native module does not load"

[ -x "$RGDIR/bin/rg" ] && "$RGDIR/bin/rg" --version >/dev/null || die "ripgrep link $RGDIR/bin/rg does not run"

date -u +%FT%TZ > "$STAMP"
log "done: $DEST (chromium: $CHROMIUM)"
echo "$DEST"
