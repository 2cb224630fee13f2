"""Shipping pavedroad: what version is running (``version``) and the offline artifact (``artifact``).

The artifact is one reproducible tarball: the package and every locked dependency as wheels, an offline
install script, a launcher and systemd units, with a CycloneDX SBOM and SHA-256 checksums beside it.
"""

from __future__ import annotations

from pavedroad.release.artifact import Artifact, Source, assemble, build, default_cache, source_of
from pavedroad.release.changelog import changelog_section, write_changelog
from pavedroad.release.sbom import Wheel, sbom, sha256_file, wheel_of
from pavedroad.release.tarball import write_tarball
from pavedroad.release.version import BuildInfo, Describe, build_info, checkout_root, describe, iso_utc, pep440

__all__ = [
    "Artifact",
    "BuildInfo",
    "Describe",
    "Source",
    "Wheel",
    "assemble",
    "build",
    "build_info",
    "changelog_section",
    "checkout_root",
    "default_cache",
    "describe",
    "iso_utc",
    "pep440",
    "sbom",
    "sha256_file",
    "source_of",
    "wheel_of",
    "write_changelog",
    "write_tarball",
]
