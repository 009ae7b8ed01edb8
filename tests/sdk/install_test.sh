#!/usr/bin/env bash
# Installs framehost into a temporary prefix; generates a source and a sink project with
# `framehost new-plugin` and builds, tests and checks each against the installed package only;
# builds, tests and checks examples/motion_detector the same way and runs it in the installed
# host, reading its frames back from /metrics. (The processor template is the tutorial's job:
# docs/writing-plugins.md, run by scripts/run-doc-commands.)
#   install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
source=$2
work=$(mktemp -d)
host_pid=
trap '[ -n "$host_pid" ] && kill "$host_pid" 2>/dev/null; rm -rf "$work"' EXIT
prefix=$work/prefix
step() { echo "== $*" >&2; }

step "install into $prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
test -x "$prefix/bin/framehost"
test -f "$prefix/include/framehost/plugin.hpp"
test -f "$prefix/lib/framehost/plugins/sample_detector.so"
"$prefix/bin/framehost" plugins | grep -q '^sample_detector'   # the installed host finds its own plugins

build_out_of_tree() {  # project_dir
  cmake -S "$1" -B "$1/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
  cmake --build "$1/build" -j 2 >/dev/null
  ctest --test-dir "$1/build" --output-on-failure
}

for kind in source sink; do
  step "new-plugin --kind $kind: build, test, check"
  "$prefix/bin/framehost" new-plugin "my_$kind" --kind "$kind" --dir "$work" >/dev/null
  build_out_of_tree "$work/my_$kind"
  "$prefix/bin/framehost" check-plugin "$work/my_$kind/build/plugins/my_$kind.so"
done

step "examples/motion_detector: build, test, check"
cp -r "$source/examples/motion_detector" "$work/motion_detector"
rm -rf "$work/motion_detector/build"
build_out_of_tree "$work/motion_detector"
"$prefix/bin/framehost" check-plugin "$work/motion_detector/build/plugins/motion_detector.so"

step "motion_detector in the installed host, its frames in /metrics"
cd "$work/motion_detector"
"$prefix/bin/framehost" --config motion_detector.yaml --set http.port=0 2>"$work/host.log" &
host_pid=$!
for _ in $(seq 100); do
  port=$(sed -n 's|.*listening on http://[^:]*:\([0-9]*\).*|\1|p' "$work/host.log" | head -n 1)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$work/host.log" >&2; exit 1; }
frames=0
for _ in $(seq 100); do
  frames=$(curl -s -H 'Accept: text/plain' "localhost:$port/metrics" |
    sed -n 's/^framehost_plugin_frames_total{plugin="motion_detector"[^}]*} \([0-9]*\)$/\1/p')
  [ "${frames:-0}" -ge 20 ] && break
  sleep 0.1
done
echo "motion_detector frames in /metrics: $frames" >&2
[ "${frames:-0}" -ge 20 ]
kill -TERM "$host_pid"
wait "$host_pid"
host_pid=
grep -q '"class":"motion"' motion.jsonl   # the generated images change: there is motion to see
echo "install, generated source and sink, motion_detector out of tree: ok"
