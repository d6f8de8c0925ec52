#!/usr/bin/env bash
# Everything the tests need on a fresh Debian/Ubuntu machine: Debian packages for the real-VS-Code and browser
# tests (code-server's native modules, ripgrep, Chromium; djpeg/dwebp to cross-check the image encoders), then
# the locked npm dependencies. Safe to run again: installed packages are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(chromium fonts-liberation libkrb5-dev ripgrep libjpeg-turbo-progs webp g++ make python3)
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "Installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

npm ci --no-audit --no-fund
