#!/usr/bin/env bash
# setup.sh: installs what orgkit needs to build, test and benchmark, from Debian packages.
# Run as root (no sudo needed). Does nothing when everything is present already.
set -euo pipefail

packages=(
  cmake ninja-build g++            # toolchain
  libsqlite3-dev libsqlitecpp-dev  # bundled storage
  libpqxx-dev                      # the PostgreSQL storage (ORGKIT_WITH_POSTGRES; libpq too)
  postgresql                       # its tests start a throwaway server (initdb, pg_ctl)
  libfmt-dev libexpected-dev       # formatting, tl::expected
  libsodium-dev                    # invitation tokens: random bytes, SHA-256, constant-time compare
  nlohmann-json3-dev               # policy files and access-token claims as JSON
  libcli11-dev                     # orgctl's command line (ORGKIT_BUILD_TOOLS)
  libcpp-httplib-dev pkgconf       # the REST example and its tests (pkg-config gives
                                   # httplib's flags: it is built with OpenSSL, zlib, brotli)
  curl                             # the README's curl examples (and their test)
  catch2                           # tests (Catch2 v2)
  libbenchmark-dev                 # the check benchmark (ORGKIT_BUILD_BENCHMARKS)
  # The sanitize and tsan presets (.ci/run): clang, and what --no-install-recommends leaves
  # out. Debian's default LLVM (14 on Debian 12), so these follow the clang package.
  clang                            # compiler of the sanitize and tsan presets
  libclang-rt-dev                  # libclang-rt-14-dev: the ASan, UBSan and TSan runtimes
                                   # and libFuzzer's (libclang_rt.fuzzer-x86_64.a, for
                                   # tests/fuzz); only recommended by clang's packages
  llvm                             # llvm-symbolizer-14, which the runtimes call so that a
                                   # report's stack frames name file:line
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup.sh: missing packages: ${missing[*]}; run this script as root" >&2
  exit 1
fi

echo "setup.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The tests start throwaway PostgreSQL clusters of their own, on a Unix socket only; Debian's
# postgresql package would otherwise create (and, where services run, start) a system cluster
# listening on localhost that nothing here uses.
if [[ " ${missing[*]} " == *" postgresql "* ]]; then
  mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.d/orgkit.conf
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
