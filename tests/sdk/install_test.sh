#!/usr/bin/env bash
# Installs framehost into a temporary prefix, builds a plugin out of tree against the installed
# CMake package (and once more with plain g++ and pkg-config), and runs it in the installed host.
#   install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" >/dev/null
test -x "$prefix/bin/framehost"
test -f "$prefix/include/framehost/plugin.hpp"
test -f "$prefix/lib/framehost/plugins/sample_detector.so"

# The installed host finds its own plugins folder.
"$prefix/bin/framehost" plugins | grep -q '^sample_detector'

# Out of tree, with find_package(framehost CONFIG) and framehost_add_plugin.
cmake -S "$source/tests/fixtures/out_of_tree_plugin" -B "$work/plugin" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/plugin" >/dev/null
"$prefix/bin/framehost" inspect brightness --plugin-path "$work/plugin/plugins" | grep -q 'scale  double  default 1.0  (0..10)'

# Without CMake: pkg-config gives the compiler line.
flags=$(PKG_CONFIG_PATH="$prefix/share/pkgconfig" pkg-config --cflags framehost-sdk)
mkdir -p "$work/pc"
g++ $flags -O2 -fPIC -shared -fvisibility=hidden -Wl,--no-undefined \
  "$source/tests/fixtures/out_of_tree_plugin/brightness.cpp" -o "$work/pc/brightness.so"

# And it runs in the installed host on real frames.
cat > "$work/host.yaml" <<YAML
http: { enabled: false }
pipeline: { progress_interval_s: 0 }
source: { plugin: synthetic_source, params: { count: 20, rate_fps: 0, pixels: true, width: 16, height: 8 } }
processors: [ { plugin: brightness, params: { scale: 2 } } ]
sinks: [ { plugin: jsonl_sink, params: { path: "$work/out.jsonl" } } ]
YAML
"$prefix/bin/framehost" --config "$work/host.yaml" --plugin-path "$work/pc" 2>"$work/log"
test "$(grep -c '"brightness":{"mean"' "$work/out.jsonl")" = 20
echo "install, out-of-tree build (CMake and pkg-config) and run: ok"
