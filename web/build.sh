#!/bin/sh
# web/build.sh OUTDIR: assemble the dashboard that `quan serve --web OUTDIR` serves.
# Installs the locked npm packages (npm ci) only when node_modules is missing or older
# than package-lock.json, then copies static/* and Chart.js's UMD build into OUTDIR.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: web/build.sh OUTDIR" >&2
	exit 2
fi
out=$1
web=$(cd "$(dirname "$0")" && pwd)

stamp="$web/node_modules/.package-lock.json"   # npm rewrites it on every install
if [ ! -d "$web/node_modules" ] || [ ! -e "$stamp" ] ||
   [ "$web/package-lock.json" -nt "$stamp" ]; then
	(cd "$web" && npm ci --no-audit --no-fund)
fi

chart="$web/node_modules/chart.js/dist/chart.umd.js"
if [ ! -f "$chart" ]; then
	echo "web/build.sh: $chart missing after npm ci" >&2
	exit 1
fi

mkdir -p "$out/vendor"
cp -R "$web/static/." "$out/"
cp "$chart" "$out/vendor/chart.umd.js"
# The example reforms, read-only, for the simulation page's textarea.
mkdir -p "$out/reforms"
cp "$web/../examples/reforms/"*.yaml "$out/reforms/"
cp "$web/node_modules/chart.js/LICENSE.md" "$out/vendor/chart.js.LICENSE.md" 2>/dev/null || true
echo "web: dashboard in $out"
