# Shared preamble of lb4j's benchmark scripts; source it, do not run it:
#
#   . "$(dirname "$0")/preamble.sh"
#
# It sets strict mode, root and repo_root (the repository), bench_dir (this folder), jar
# (lb-benchmarks/target/benchmarks.jar) and java_home (the newest JDK 22+), and gives:
#   bench_fail MESSAGE           prints "NAME: MESSAGE" on stderr and exits 1 (die is the same)
#   bench_tools TOOL...          fails naming the Debian package when a tool is missing
#   bench_jar JAR MODULE         builds MODULE's JAR with Maven when it is missing or older than any
#                                source or pom of the repository (a stale jar is never measured)
#   ensure_jar [JAR MODULE]      the same, by default for benchmarks.jar of lb-benchmarks
#   ensure_c SRC BIN             compiles a C peer with gcc -O2 when BIN is missing or older than SRC
#   bench_java [MIN]             prints the java of the newest JDK MIN+ (default 22), or fails
#   bench_nonempty WHAT VALUE    fails when a tool printed nothing where a figure was expected
#   run_capture NAME CMD...      runs CMD and prints its output; fails loudly, naming NAME and the
#                                command, when it exits non-zero or prints nothing
#   field KEY TEXT               the value of KEY=value in TEXT; fails loudly when absent
#   bench_median, median         the median of the numbers on stdin, one a line
set -euo pipefail
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

die() { bench_fail "$@"; }

bench_dir="$root/lb-benchmarks"
repo_root=$root
jar="$bench_dir/target/benchmarks.jar"
java_home=$("$root/scripts/find-jdk" 22) || bench_fail "no JDK 22+ found (scripts/find-jdk)"

ensure_jar() { bench_jar "${1:-$jar}" "${2:-lb-benchmarks}"; }

ensure_c() {
  local src=$1 bin=$2
  command -v gcc >/dev/null || bench_fail "gcc is needed for $src (apt-get install -y gcc)"
  if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
    mkdir -p "$(dirname "$bin")"
    gcc -O2 -Wall -Wextra -o "$bin" "$src" || bench_fail "gcc failed on $src"
  fi
}

run_capture() {
  local name=$1 out
  shift
  out=$("$@") || bench_fail "$name failed (exit $?): $*"
  [ -n "$out" ] || bench_fail "$name printed nothing: $*"
  printf '%s\n' "$out"
}

field() {
  local v
  v=$(printf '%s\n' "$2" | sed -n "s/.*$1=\([^ ]*\).*/\1/p" | head -1)
  [ -n "$v" ] || bench_fail "no $1= in output: $2"
  printf '%s\n' "$v"
}

median() { bench_median; }
