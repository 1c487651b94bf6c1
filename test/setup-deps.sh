#!/usr/bin/env bash
# test/setup-deps.sh: install the Debian 12 packages the build, the demo and
# the tests need, when they are missing.  Uses sudo unless run as root.
#
#   test/setup-deps.sh            build + regression tests
#   test/setup-deps.sh bench      also the peers the benchmarks compare with
set -euo pipefail

packages=(make gcc postgresql-15 postgresql-server-dev-15 libopenblas-dev liblapacke-dev
	libipc-run-perl postgresql-15-pgtap)
if [ "${1:-}" = bench ]; then
	packages+=(python3-xgboost python3-sklearn python3-pandas python3-psycopg2 postgresql-contrib)
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
