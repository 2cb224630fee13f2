#!/bin/sh
# An OCI image of an offline artifact, built with buildah and no registry:
#
#   scripts/build_image.sh dist/pavedroad-<version>-cp311-linux_x86_64.tar.gz    (as root)
#   -> dist/pavedroad-<version>.oci.tar   (podman load -i …; docker load works too)
#
# The base is a minimal Debian 12 root made by debootstrap from Debian's package archive (its python3 is
# CPython 3.11, the artifact's), kept in ~/.cache/pavedroad/rootfs-bookworm. The artifact's own install.sh
# runs inside it (offline, --no-index); the image runs `pavedroad serve` on 0.0.0.0:8000 by default.
# Needs: buildah, debootstrap (apt-get install buildah debootstrap).
set -eu
artifact=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
name=$(basename "$artifact" | sed 's/-cp[0-9]*-linux_[a-z0-9_]*\.tar\.gz$//')
version=${name#pavedroad-}
tag=$(echo "$version" | tr "+" "-")   # OCI tags allow no "+"
out=$(dirname "$artifact")/$name.oci.tar
rootfs=${XDG_CACHE_HOME:-$HOME/.cache}/pavedroad/rootfs-bookworm
export STORAGE_DRIVER=${STORAGE_DRIVER:-vfs}   # works inside containers and on overlay file systems

if [ ! -x "$rootfs/usr/bin/python3" ]; then
    echo "making the Debian 12 base in $rootfs (once) …"
    rm -rf "$rootfs.tmp"
    debootstrap --variant=minbase --include=python3,python3-venv bookworm "$rootfs.tmp" http://deb.debian.org/debian >/dev/null
    rm -rf "$rootfs.tmp/var/cache/apt/archives"/*.deb "$rootfs.tmp/var/lib/apt/lists"/*
    mv "$rootfs.tmp" "$rootfs"
fi

ctr=$(buildah from scratch)
trap 'buildah umount "$ctr" >/dev/null 2>&1; buildah rm "$ctr" >/dev/null 2>&1' EXIT
mnt=$(buildah mount "$ctr")
cp -a "$rootfs/." "$mnt/"
mkdir -p "$mnt/tmp/artifact"
tar -xzf "$artifact" -C "$mnt/tmp/artifact"
chroot "$mnt" /bin/sh -c "PYTHON=/usr/bin/python3 /tmp/artifact/$name/install.sh /opt/pavedroad" >/dev/null
rm -rf "$mnt/tmp/artifact" "$mnt/root/.cache"
mkdir -p "$mnt/var/lib/pavedroad"
epoch=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['built_at'])" "$mnt/opt/pavedroad/BUILD-INFO.json")
commit=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['commit'])" "$mnt/opt/pavedroad/BUILD-INFO.json")
buildah config \
    --entrypoint '["/opt/pavedroad/bin/pavedroad"]' --cmd serve \
    --env PAVEDROAD_DATA_DIR=/var/lib/pavedroad --env PAVEDROAD_HTTP_HOST=0.0.0.0 --port 8000 \
    --workingdir /var/lib/pavedroad \
    --label org.opencontainers.image.title=pavedroad \
    --label org.opencontainers.image.version="$version" \
    --label org.opencontainers.image.revision="$commit" \
    --label org.opencontainers.image.created="$epoch" \
    "$ctr"
buildah umount "$ctr" >/dev/null
rm -f "$out"
buildah commit --quiet --format oci "$ctr" "oci-archive:$out:pavedroad:$tag" >/dev/null
echo "built $out"
