#!/usr/bin/env bash
# Build the pinned Sigstore binaries (tools/sigstore.versions) with `go install` into .sigstore-bin/.
# Does nothing for a binary whose pinned version is already built there; prints progress otherwise
# (a first build takes minutes). Go's own module and build caches make rebuilds on this machine fast.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v go >/dev/null && [[ -x /usr/local/go/bin/go ]]; then export PATH="/usr/local/go/bin:$PATH"; fi
command -v go >/dev/null || { echo "go is not installed: the real Sigstore servers are built from source with it (Go 1.26)" >&2; exit 2; }
bin="$PWD/.sigstore-bin"
mkdir -p "$bin"
while read -r name package version; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  stamp="$bin/.$name.version"
  if [[ -x "$bin/$name" && -f "$stamp" && "$(cat "$stamp")" == "$package@$version" ]]; then
    echo "$name $version: already built"
    continue
  fi
  echo "building $name $version ($package) …"
  started=$(date +%s)
  tmp=$(mktemp -d)
  GOBIN="$tmp" GOFLAGS=-trimpath GOTOOLCHAIN=local go install "$package@$version"
  built=$(ls "$tmp")
  mv "$tmp/$built" "$bin/$name"
  rmdir "$tmp"
  echo "$package@$version" > "$stamp"
  echo "$name $version: built in $(( $(date +%s) - started )) s"
done < tools/sigstore.versions
