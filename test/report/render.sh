#!/usr/bin/env bash
# test/report/render.sh: render model reports (automl.report() HTML) to PNG
# with headless Chromium and check them, without a server.
#
# Usage, from the repository root:
#
#   test/report/render.sh [-o OUTDIR] [FILE.html ...]
#
#   With no FILE: builds test/report/render_fixture (a standalone C driver
#   around am_report_html(), src/report.c) and renders every
#   test/report/fixtures/*.json to OUTDIR/NAME.html first.
#   OUTDIR defaults to test/artifacts/report/; the PNGs (OUTDIR/NAME.png)
#   and Chromium's net logs (OUTDIR/NAME.netlog.json) stay there for a
#   person to look at.  REPORT_HEIGHT sets the window height (default 7000;
#   the width is 1280).
#
# Each HTML file must pass:
#   - static checks: well-formed XML (xmllint, when installed), no <script,
#     no http:, https: or url( anywhere;
#   - a screenshot that is not blank (test/report/check.py png);
#   - no network request by the page: Chromium runs with every host name
#     unresolvable and a net log, and the log must show no URL request
#     initiated by the page (test/report/check.py netlog).  The browser's own
#     background requests (initiator "not an origin") are listed apart; they
#     cannot resolve either.  A canary page with an external stylesheet and
#     image is rendered first to prove the net-log check sees page requests.
#
# Installs Debian's chromium when it is missing (apt-get as root, else sudo).
# Exits non-zero when any check fails.
set -euo pipefail

cd "$(dirname "$0")/../.."
outdir=test/artifacts/report
if [ "${1:-}" = "-o" ]; then
	[ $# -ge 2 ] || { echo "usage: $0 [-o OUTDIR] [FILE.html ...]" >&2; exit 2; }
	outdir=$2
	shift 2
fi
height=${REPORT_HEIGHT:-7000}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
python=/usr/bin/python3
[ -x "$python" ] || python=python3
check="$python test/report/check.py"

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

if ! command -v chromium >/dev/null 2>&1; then
	echo "installing chromium"
	export DEBIAN_FRONTEND=noninteractive
	as_root apt-get update -qq
	as_root apt-get install -y -qq chromium >/dev/null
fi

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
	bin=$(mktemp -d)
	trap 'rm -rf "$bin"' EXIT
	cc -std=gnu11 -O2 -Wall -Wextra -Wdeclaration-after-statement -Wno-unused-parameter \
		-Wno-sign-compare -Wno-missing-field-initializers -Werror -Isrc -Itest/unit \
		-o "$bin/render_fixture" test/report/render_fixture.c src/report.c \
		src/report_svg.c src/json.c src/core_common.c test/unit/core_std.c -lm
	for json in test/report/fixtures/*.json; do
		name=$(basename "$json" .json)
		"$bin/render_fixture" "$json" "$outdir/$name.html"
		files+=("$outdir/$name.html")
	done
fi

# shot HTML PNG NETLOG WIDTH HEIGHT: one headless Chromium screenshot
shot() {
	local profile rc=0
	profile=$(mktemp -d)
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--disable-extensions --disable-default-apps --no-pings \
		--host-resolver-rules="MAP * ~NOTFOUND" --user-data-dir="$profile" \
		--log-net-log="$3" --screenshot="$2" --window-size="$4,$5" \
		"file://$1" >"$profile.log" 2>&1 || rc=$?
	if [ $rc -ne 0 ]; then
		echo "chromium failed ($rc):" >&2
		tail -20 "$profile.log" >&2
	fi
	rm -rf "$profile" "$profile.log"
	return $rc
}

failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# the net-log check must see the requests of a page that makes some
canary=$(mktemp -d)
cat >"$canary/canary.html" <<'EOF'
<!DOCTYPE html><html><head><title>canary</title>
<link rel="stylesheet" href="https://canary.invalid/style.css"/></head>
<body><p>canary</p><img src="http://canary.invalid/pixel.png" alt=""/></body></html>
EOF
if shot "$canary/canary.html" "$canary/canary.png" "$canary/net.json" 800 600 &&
	$check netlog "$canary/net.json" --expect-page-requests >/dev/null; then
	echo "net-log check: the canary page's external requests are detected"
else
	fail "the net-log check did not detect the canary page's requests"
fi
rm -rf "$canary"

for html in "${files[@]}"; do
	name=$(basename "$html" .html)
	html=$(cd "$(dirname "$html")" && pwd)/$(basename "$html")
	png="$outdir/$name.png"
	netlog="$outdir/$name.netlog.json"
	echo "== $name: $html"
	[ -s "$html" ] || { fail "$html is missing or empty"; continue; }
	if command -v xmllint >/dev/null 2>&1; then
		xmllint --noout "$html" || fail "$name: not well-formed XML"
	fi
	if grep -qiE '<script|https?:|url\(' "$html"; then
		fail "$name: contains <script, http:, https: or url("
		grep -oiE '.{0,40}(<script|https?:|url\().{0,40}' "$html" | head -5
	fi
	rm -f "$png" "$netlog"
	if ! shot "$html" "$png" "$netlog" 1280 "$height"; then
		fail "$name: chromium failed"
		continue
	fi
	[ -s "$png" ] || { fail "$name: no screenshot"; continue; }
	$check png "$png" || fail "$name: the screenshot looks blank"
	$check netlog "$netlog" || fail "$name: the page made network requests"
done

echo
if [ $failures -eq 0 ]; then
	echo "render.sh: ${#files[@]} report(s) rendered and checked; PNGs in $outdir"
else
	echo "render.sh: $failures failure(s); PNGs in $outdir"
	exit 1
fi
