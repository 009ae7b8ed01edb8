#!/bin/sh
# ctest splits a test name at ';' (a CMake list), so a doctest case whose name holds one is
# registered as two tests that each select no case, run nothing and pass. The names are taken
# from the binaries themselves: a name wrapped over several source lines is caught too.
# Usage: no_semicolon_in_names.sh TEST_BINARY...
status=0
for binary in "$@"; do
  found=$("$binary" --list-test-cases --no-intro --no-version 2>/dev/null | grep -F ';')
  if [ -n "$found" ]; then
    echo "$binary: test case names with ';' (ctest would run nothing for them):"
    echo "$found"
    status=1
  fi
done
exit $status
