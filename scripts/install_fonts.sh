#!/usr/bin/env sh
# Install the Debian/Ubuntu font packages the synthetic data generator draws from (~40 Latin
# families). Without them crnn_core falls back to Pillow's single built-in font.
set -eu

PACKAGES="fonts-urw-base35 fonts-texgyre fonts-liberation2 fonts-dejavu-core fonts-dejavu-extra \
fonts-freefont-ttf fonts-crosextra-carlito fonts-crosextra-caladea fonts-roboto-unhinted \
fonts-open-sans fonts-lato fonts-cantarell fonts-linuxlibertine fonts-ebgaramond fonts-comic-neue \
fonts-hack fonts-inconsolata fonts-firacode fonts-lobster fonts-croscore"

if ! command -v apt-get >/dev/null 2>&1; then
    echo "apt-get not found: install TTF/OTF fonts with your package manager, or put font files" >&2
    echo "in a folder and set CRNN_FONT_DIRS=/that/folder. Skipping." >&2
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "Not root and sudo is missing: run as root: apt-get install -y $PACKAGES" >&2
        exit 1
    fi
fi

# shellcheck disable=SC2086  # word splitting of the package list is intended
$SUDO apt-get install -y --no-install-recommends $PACKAGES
echo "Fonts installed. Check with: python -c 'from crnn_core.data.fonts import *; \
print(len(group_by_family(discover_fonts())), \"families\")'"
