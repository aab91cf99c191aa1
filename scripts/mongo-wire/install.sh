#!/usr/bin/env bash
# Builds the MongoDB-wire server (mongo-java-server 1.47 + MongoWire.java) once into a cache folder and
# prints that folder; later calls reuse it. Needs Java 17+ (javac) and Maven, which fetch the jars from
# Maven Central (~15 s the first time).
#
#   bash scripts/mongo-wire/install.sh            # prints e.g. ~/.cache/learning-platform/mongo-wire-1.47.0-<hash>
#   java -cp "$DIR/lib/*:$DIR/classes" MongoWire --port 27017 [--file data/db.mv]
#
# LP_TOOLS_DIR overrides the cache folder (default ~/.cache/learning-platform).
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOOLS=${LP_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/learning-platform}
VERSION=1.47.0
# The build is keyed by the sources: an edit of pom.xml or MongoWire.java builds into a new folder, so a
# server running from the old one is never pulled from under it.
STAMP=$(cat "$SRC/pom.xml" "$SRC/MongoWire.java" | sha256sum | cut -c1-12)
DEST=$TOOLS/mongo-wire-$VERSION-$STAMP

if [[ -f $DEST/.stamp && $(<"$DEST/.stamp") == "$STAMP" ]]; then
  printf '%s\n' "$DEST"
  exit 0
fi
for tool in java javac mvn; do
  command -v "$tool" >/dev/null || { echo "mongo-wire: $tool is needed (Java 17+ and Maven)" >&2; exit 1; }
done
echo "mongo-wire: building mongo-java-server $VERSION into $DEST (first time only)" >&2
work=$(mktemp -d -t lp-mongo-wire.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$SRC/pom.xml" "$SRC/MongoWire.java" "$work/"
(cd "$work" && mvn -q -B dependency:copy-dependencies -DoutputDirectory=lib >"$work/mvn.log" 2>&1) \
  || { tail -n 30 "$work/mvn.log" >&2; echo "mongo-wire: maven could not fetch the jars" >&2; exit 1; }
mkdir -p "$work/classes"
javac -d "$work/classes" -cp "$work/lib/*" "$work/MongoWire.java"
printf '%s\n' "$STAMP" >"$work/.stamp"
mkdir -p "$TOOLS"
rm -rf "$DEST.tmp.$$"
mkdir -p "$DEST.tmp.$$"
cp -R "$work/lib" "$work/classes" "$work/.stamp" "$DEST.tmp.$$/"
rm -rf "$DEST"
mv "$DEST.tmp.$$" "$DEST"
printf '%s\n' "$DEST"
