#!/usr/bin/env bash
# tests/mutation/run.sh: plants each mutant of tests/mutation/mutants.txt in turn, rebuilds,
# runs the suite, and prints how many the suite killed. Not part of CI (it rebuilds and runs
# the suite once per mutant: about an hour on two cores); run it by hand after changing the
# rules, a backend or the check cache, and keep the README's score current.
#
#   tests/mutation/run.sh [mutant-id ...]     all mutants, or the ones named
#
# It builds in build/mutation (Debug, tests and the PostgreSQL backend on; nothing else) and
# runs ctest there with --stop-on-failure, leaving out the packaging, docs and tools tests
# (they exercise no rule). A mutant that does not compile is "stillborn" and counted apart.
# Every planted file is restored on exit, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
build=$root/build/mutation
list=$root/tests/mutation/mutants.txt
jobs=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}
exclude='packaging|docs/|tools|readme'

mkdir -p "$build/saved"
restore() {
  for saved in "$build"/saved/*; do
    [ -e "$saved" ] || continue
    cp "$saved" "$root/$(basename "$saved" | tr '%' '/')"
    rm -f "$saved"
  done
}
trap restore EXIT

# Applies mutant $1 (perl: the fragment must occur exactly once); returns its file.
plant() {
  local id=$1 file
  file=$(awk -v id="$id" '$1 == "@" && $2 == id {print $3}' "$list")
  [ -n "$file" ] || { echo "no mutant $id" >&2; return 1; }
  cp "$root/$file" "$build/saved/$(echo "$file" | tr '/' '%')"
  ID="$id" LIST="$list" perl -e '
    my $src = do { local $/; <STDIN> };
    open(my $fh, "<", $ENV{LIST}) or die;
    my ($in, $from, $to) = (0, undef, undef);
    while (<$fh>) {
      chomp;
      if (/^@ (\S+)/) { $in = ($1 eq $ENV{ID}); next; }
      next unless $in;
      if (/^- (.*)$/) { $from = $1; } elsif (/^\+ (.*)$/) { $to = $1; }
    }
    my $n = () = $src =~ /\Q$from\E/g;
    die "mutant $ENV{ID}: the fragment occurs $n times, not once\n" unless $n == 1;
    $src =~ s/\Q$from\E/$to/;
    print $src;
  ' < "$root/$file" > "$build/planted" && cp "$build/planted" "$root/$file"
  echo "$file"
}

unplant() { restore; }

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DORGKIT_BUILD_TESTS=ON \
  -DORGKIT_BUILD_EXAMPLES=OFF -DORGKIT_BUILD_TOOLS=OFF -DORGKIT_BUILD_BENCHMARKS=OFF \
  -DORGKIT_WITH_POSTGRES=ON >/dev/null
suite() {
  cmake --build "$build" -j "$jobs" >/dev/null 2>&1 || return 2
  ctest --test-dir "$build" -j "$jobs" --stop-on-failure -E "$exclude" --timeout 300 \
    >"$build/last.log" 2>&1 || return 1
  return 0
}

echo "baseline: the suite must pass unmutated"
suite || { echo "the unmutated suite fails (see $build/last.log)"; exit 1; }

if [ $# -gt 0 ]; then ids=("$@"); else mapfile -t ids < <(awk '$1 == "@" {print $2}' "$list"); fi
killed=0; total=0; stillborn=0; survivors=()
for id in "${ids[@]}"; do
  what=$(awk -v id="$id" '$1 == "@" && $2 == id {$1=$2=$3=""; sub(/^ +/, ""); print}' "$list")
  file=$(plant "$id")
  set +e; suite; rc=$?; set -e
  unplant
  case $rc in
    0) total=$((total + 1)); survivors+=("$id"); echo "SURVIVED $id ($file): $what" ;;
    1) total=$((total + 1)); killed=$((killed + 1)); echo "killed   $id ($file): $(grep -m1 -E '\*\*\*Failed|Failed|Timeout' "$build/last.log" | sed 's/^ *//' | cut -c1-100)" ;;
    2) stillborn=$((stillborn + 1)); echo "stillborn $id ($file): does not compile" ;;
  esac
done
cmake --build "$build" -j "$jobs" >/dev/null 2>&1 || true  # back to the unmutated build
echo
echo "killed $killed / $total mutants (stillborn: $stillborn)${survivors[*]:+; survivors: ${survivors[*]}}"
