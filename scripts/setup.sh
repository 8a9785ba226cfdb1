#!/usr/bin/env bash
# Installs the system libraries advisor links against, if they are missing:
#   liblapacke-dev   LAPACKE, the C interface to LAPACK
#   libopenblas-dev  OpenBLAS as the BLAS/LAPACK behind it. Debian's reference
#                    BLAS (what liblapacke-dev alone brings) takes ~324 ms for a
#                    500 x 2,520 covariance product; OpenBLAS ~22 ms (15x).
#   libsqlite3-dev   SQLite, for the journal (Sources/CSQLite, AdvisorJournal).
#   libxxhash-dev    xxHash's header: XXH3, the market cache's content hash (Sources/CXXHash;
#                    compiled in, nothing linked).
# Idempotent and quiet when everything is present.
set -euo pipefail
packages=(liblapacke-dev libopenblas-dev libsqlite3-dev libxxhash-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# OpenBLAS must be the BLAS the alternatives system points at (it is, once installed, unless pinned).
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || readlink -f /usr/lib/aarch64-linux-gnu/libblas.so.3 2>/dev/null || true)
case "$blas" in
  *openblas*) ;;
  *) echo "setup: warning: libblas.so.3 points at '$blas', not OpenBLAS; covariance will be ~15x slower (update-alternatives --config libblas.so.3-\$(uname -m)-linux-gnu)" >&2 ;;
esac
