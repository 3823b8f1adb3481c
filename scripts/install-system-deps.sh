#!/usr/bin/env bash
# Debian packages Dadkhahi needs beyond Python: libmagic (media types from
# content), a JRE (Splink on Spark), PostgreSQL (team-server tests) and
# Chromium with its driver (page tests), Tesseract with Persian and English (OCR of
# scanned documents), Noto fonts (Persian text in OCR tests), wrk (load benchmarks),
# strace (the durability test watches the system calls of an intake) and Pango with
# HarfBuzz (WeasyPrint lays out PDFs with them: Persian shaping and bidi, dadkhahi.pdf),
# the RUM index for the PostgreSQL server (full-text search ranks from the index:
# postgresql-<version>-rum, the version of the server installed or about to be), and
# FFmpeg (ffprobe reads an audio or video file's technical metadata; ffmpeg writes its
# copy without identifying metadata).
# Installs only what is missing.
set -euo pipefail
# The newest server installed here, else Debian bookworm's (what "postgresql" installs).
pg_version=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -1)
pg_version=${pg_version:-15}
need=()
# Take one package off the list by its whole name (a pattern substitution such as
# "${need[@]/postgresql}" would cut it out of postgresql-15-rum too).
drop() {
    local kept=() p
    for p in "${need[@]}"; do [ "$p" != "$1" ] && kept+=("$p"); done
    need=("${kept[@]}")
}
for pkg in libmagic1 default-jre-headless postgresql chromium chromium-driver \
           tesseract-ocr tesseract-ocr-fas tesseract-ocr-eng fonts-noto-core wrk strace \
           libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 "postgresql-$pg_version-rum" ffmpeg; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
# A JRE that is already on the machine (another vendor's) is good enough.
if command -v java >/dev/null 2>&1; then
    drop default-jre-headless
fi
# A PostgreSQL server already installed under another package name also serves.
if command -v pg_ctlcluster >/dev/null 2>&1 || [ -n "${DADKHAHI_TEST_DATABASE_URL:-}" ]; then
    drop postgresql
fi
pkgs=()
for p in "${need[@]}"; do [ -n "$p" ] && pkgs+=("$p"); done
if [ ${#pkgs[@]} -eq 0 ]; then
    exit 0
fi
echo "installing Debian packages: ${pkgs[*]}"
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
