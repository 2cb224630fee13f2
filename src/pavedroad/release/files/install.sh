#!/bin/sh
# Install pavedroad @VERSION@ from this directory with no network:  ./install.sh [PREFIX]   (default /opt/pavedroad)
#
# Creates PREFIX/venv with the wheels in ./wheels only (pip --no-index, every file checked against the
# SHA-256 pinned in requirements.txt), then PREFIX/bin/pavedroad and PREFIX/systemd/*.service.
# Needs CPython @PYTHON@ with its venv module (Debian: python3-venv); set PYTHON to choose the interpreter.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix=${1:-/opt/pavedroad}
python=${PYTHON:-python3}

have=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])') || {
    echo "error: cannot run $python; set PYTHON to a CPython @PYTHON@ interpreter" >&2; exit 1; }
if [ "$have" != "@PYTHON@" ]; then
    echo "error: this artifact's wheels are for CPython @PYTHON@ and $python is $have; set PYTHON" >&2
    exit 1
fi

mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)
# Only the shipped wheels: the host's pip configuration (files and PIP_* variables) is ignored.
for var in $(env | sed -n 's/^\(PIP_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$var"; done
export PIP_CONFIG_FILE=/dev/null PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1
"$python" -m venv "$prefix/venv"
"$prefix/venv/bin/python" -m pip install --quiet --no-index --find-links "$here/wheels" \
    --only-binary=:all: --require-hashes -r "$here/requirements.txt"
"$prefix/venv/bin/python" -m pip check >/dev/null

mkdir -p "$prefix/bin" "$prefix/systemd"
sed "s|@PREFIX@|$prefix|g" "$here/bin/pavedroad" > "$prefix/bin/pavedroad"
chmod 755 "$prefix/bin/pavedroad"
for unit in "$here"/systemd/*.service; do
    sed "s|@PREFIX@|$prefix|g" "$unit" > "$prefix/systemd/$(basename "$unit")"
done
cp "$here/sbom.cdx.json" "$here/BUILD-INFO.json" "$prefix/"

echo "installed pavedroad @VERSION@ in $prefix"
echo "  check:   $prefix/bin/pavedroad version"
echo "  try:     $prefix/bin/pavedroad demo"
echo "  systemd: cp $prefix/systemd/*.service /etc/systemd/system/ && systemctl daemon-reload"
echo "           systemctl enable --now pavedroad-serve pavedroad-worker   (settings: /etc/pavedroad/pavedroad.env)"
