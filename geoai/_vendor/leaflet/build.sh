#!/usr/bin/env bash
# Vendor Leaflet for geoai's offline web map (geoai/io/webmap.py): fetch the pinned release
# from the npm registry at build time, check it against the registry's published integrity,
# and copy the three files the map inlines. Nothing fetches Leaflet at run or test time; the
# output of this script is committed. Run from anywhere:
#
#     bash geoai/_vendor/leaflet/build.sh
#
# Deterministic: the same pinned tarball gives the same files, byte for byte (they are copied,
# not rebuilt). Files are written to a temporary name in this folder, then renamed into place.
set -euo pipefail

VERSION="1.9.4"
# dist.integrity of leaflet@1.9.4 on registry.npmjs.org (`npm view leaflet@1.9.4 dist.integrity`)
INTEGRITY="sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA=="

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "leaflet@${VERSION}" >/dev/null)
tarball="$work/leaflet-${VERSION}.tgz"
got="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [[ "$got" != "$INTEGRITY" ]]; then
    echo "leaflet-${VERSION}.tgz integrity $got differs from the pinned $INTEGRITY" >&2
    exit 1
fi
tar -xzf "$tarball" -C "$work" package/LICENSE package/dist/leaflet.js package/dist/leaflet.css

for pair in "dist/leaflet.js:leaflet.js" "dist/leaflet.css:leaflet.css" "LICENSE:LICENSE"; do
    src="$work/package/${pair%%:*}"
    dst="$here/${pair##*:}"
    tmp="$(mktemp "$here/.${pair##*:}.tmp-XXXXXX")"
    cp "$src" "$tmp"
    chmod 0644 "$tmp"
    mv -f "$tmp" "$dst"
done
(cd "$here" && sha256sum leaflet.js leaflet.css LICENSE)
