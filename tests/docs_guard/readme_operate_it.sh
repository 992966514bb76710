#!/usr/bin/env bash
# Runs the README's "Operate it" block (between <!-- operate-it:begin/end -->) as written,
# in BUILD_DIR instead of build/release, and checks what it printed: so the orgctl and curl
# commands a reader copies are the ones that work. Usage: readme_operate_it.sh README BUILD_DIR
set -uo pipefail
readme=$1
build=$2
block=$(sed -n '/<!-- operate-it:begin -->/,/<!-- operate-it:end -->/p' "$readme" |
  sed '1,2d' | sed '$d' | sed '$d')
if [ -z "$block" ]; then
  echo "no operate-it block in $readme" >&2
  exit 1
fi
# The only change: where the build is. And a trap, so a failing step never leaves the server.
block=${block/cd build\/release/cd \"$build\"}
out=$(bash -c "trap '[ -n \"\${SERVER:-}\" ] && kill \"\$SERVER\" 2>/dev/null' EXIT
$block" 2>&1)
status=$?
echo "$out"
if [ $status -ne 0 ]; then
  echo "the block failed with status $status" >&2
  exit 1
fi
missing=0
for want in 'slug: road-runner' 'Road Runner' '"actor_kind":"tenant_admin"' \
  '"name":"Road Runner"' '"name":"Acme"' '"user_id":"bob"' '"role":"owner"' \
  '"code":"unauthenticated"' ' 401'; do
  if ! grep -qF -- "$want" <<<"$out"; then
    echo "expected in the output: $want" >&2
    missing=1
  fi
done
exit $missing
