#!/usr/bin/env bash
# The accessibility checker the browser tests run (axe-core, MPL-2.0), taken from the npm registry at a
# pinned version and checked against the registry's integrity hash; `make vendor` runs this.
set -euo pipefail
VERSION=4.14.1
INTEGRITY=sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "axe-core@$VERSION" >/dev/null)
tarball="$work/axe-core-$VERSION.tgz"
actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$actual" != "$INTEGRITY" ]; then
  echo "axe-core-$VERSION.tgz does not match its pinned integrity ($actual)" >&2
  exit 1
fi
tar -xzf "$tarball" -C "$work"
mkdir -p axe-core
cp "$work/package/axe.min.js" "$work/package/LICENSE" "$work/package/LICENSE-3RD-PARTY.txt" axe-core/
echo "$VERSION" > axe-core/VERSION
