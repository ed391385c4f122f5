#!/usr/bin/env bash
# Installs a Vulkan driver that Dawn accepts on a machine with no GPU: Mesa's lavapipe
# from bookworm-backports (Debian 12's own Mesa 22.3 lacks features Dawn requires).
# Called by scripts/ensure-webgpu.mjs only when no WebGPU adapter was found.
set -euo pipefail
if [ "$(id -u)" != 0 ]; then
  echo "spiketrace: no WebGPU adapter found and not root; install Mesa's lavapipe yourself:" >&2
  echo "  apt-get install -y libvulkan1 && apt-get install -y -t bookworm-backports mesa-vulkan-drivers" >&2
  exit 3
fi
if ! command -v apt-get >/dev/null; then
  echo "spiketrace: no WebGPU adapter found and no apt-get here; install a Vulkan driver (Mesa >= 24 lavapipe) yourself" >&2
  exit 3
fi
. /etc/os-release
codename=${VERSION_CODENAME:-bookworm}
if [ "$codename" = bookworm ] && ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
  printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$mirror" > /etc/apt/sources.list.d/spiketrace-backports.sources
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq libvulkan1 >/dev/null
if [ "$codename" = bookworm ]; then
  apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers >/dev/null
else
  apt-get install -y -qq mesa-vulkan-drivers >/dev/null
fi
echo "spiketrace: installed Mesa's lavapipe (Vulkan on the CPU)"
