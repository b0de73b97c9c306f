#!/usr/bin/env bash
# Install the Debian packages flowmob needs to build, test and run the demo.
# Idempotent and quick when everything is present: it asks dpkg first and calls
# apt-get only for what is missing. Needs root when something is missing.
# With arguments, installs those packages instead of the list below (make deb
# uses it for the packaging tools, which make test does not need).
set -euo pipefail

PKGS=(
  make gcc clang llvm libclang-rt-14-dev pkg-config
  libbpf-dev bpftool libelf-dev zlib1g-dev
  libev-dev libcyaml-dev libyaml-dev libjansson-dev liblmdb-dev libcmocka-dev libpcap-dev libssl-dev
  iproute2 ethtool nftables procps
  python3-pytest python3-scapy python3-yaml tshark
  go-md2man libsystemd-dev libmicrohttpd-dev libmnl-dev prometheus bird2
)
[ $# -gt 0 ] && PKGS=("$@")

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing packages: ${missing[*]}" >&2
  echo "deps: run 'make deps' as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
