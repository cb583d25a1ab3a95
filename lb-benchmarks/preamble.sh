# Shared preamble of lb4j's benchmark scripts; source it, do not run it:
#
#   here=$(cd "$(dirname "$0")" && pwd); . "$here/preamble.sh"
#
# Sets root (the repository), and gives:
#   bench_fail MESSAGE           prints "NAME: MESSAGE" on stderr and exits 1
#   bench_tools TOOL...          fails naming the Debian package when a tool is missing
#   bench_jar JAR MODULE         builds MODULE's JAR with Maven when it is missing or older than any
#                                source or pom of the repository (a stale jar is never measured)
#   bench_java [MIN]             prints the java of the newest JDK MIN+ (default 22), or fails
#   bench_nonempty WHAT VALUE    fails when a tool printed nothing where a figure was expected
#   bench_median                 the median of the numbers on stdin, one a line
# Needs bash with set -euo pipefail (the caller sets it).
bench_name=$(basename "$0")
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

bench_fail() { echo "$bench_name: $*" >&2; exit 1; }

bench_tools() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null || bench_fail "$t is missing: apt-get install -y $t"
  done
}

bench_jar() {
  local jar=$1 module=$2 newer
  if [ -f "$jar" ]; then
    newer=$(find "$root"/lb-*/src/main "$root"/lb-*/pom.xml "$root"/pom.xml -newer "$jar" -print -quit 2>/dev/null || true)
    [ -z "$newer" ] && return 0
    echo "$bench_name: $newer is newer than $jar: rebuilding it" >&2
  else
    echo "$bench_name: building $jar" >&2
  fi
  (cd "$root" && ./mvnw -q -o -DskipTests -pl "$module" -am package) >&2 \
    || (cd "$root" && ./mvnw -q -DskipTests -pl "$module" -am package) >&2 \
    || bench_fail "building $jar failed (see above)"
  [ -f "$jar" ] || bench_fail "the build did not produce $jar"
}

bench_java() {
  local home
  home=$("$root/scripts/find-jdk" "${1:-22}") || bench_fail "no JDK ${1:-22}+ found (scripts/find-jdk)"
  echo "$home/bin/java"
}

bench_nonempty() {
  [ -n "$2" ] || bench_fail "$1: the tool printed no figure (its output above or in the logs); nothing is reported"
}

bench_median() {
  sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) exit 1; print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
