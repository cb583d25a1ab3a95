# The shared preamble of lb-benchmarks' scripts; source it, do not run it:
#
#   . "$(dirname "$0")/preamble.sh"
#
# It sets strict mode and these variables and functions:
#   bench_dir   this folder (lb-benchmarks)      repo_root  the repository
#   jar         lb-benchmarks/target/benchmarks.jar
#   java_home   the newest JDK 22+ (scripts/find-jdk)
#   ensure_jar [JAR MODULE]   builds JAR (default benchmarks.jar, module lb-benchmarks) when it is
#                             missing or older than any source or pom of the repository, so no script
#                             measures a stale build
#   ensure_c SRC BIN          compiles a C peer with gcc -O2 when BIN is missing or older than SRC
#   run_capture NAME CMD...   runs CMD, prints its standard output; fails loudly, naming NAME and the
#                             command, when it exits non-zero or prints nothing
#   field KEY TEXT            the value of KEY=value in TEXT; fails loudly when absent
#   median                    the median of the numbers on standard input (one a line)
set -euo pipefail
bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(dirname "$bench_dir")
jar="$bench_dir/target/benchmarks.jar"
java_home=$("$repo_root/scripts/find-jdk" 22)

die() {
  echo "lb4j benchmarks: $*" >&2
  exit 1
}

ensure_jar() {
  local target=${1:-$jar} module=${2:-lb-benchmarks} newer=""
  if [ -f "$target" ]; then
    newer=$(find "$repo_root" -path "$repo_root/.git" -prune -o \( -path '*/src/*' -o -name pom.xml \) \
      -type f -newer "$target" -not -path '*/target/*' -print -quit)
  fi
  if [ ! -f "$target" ] || [ -n "$newer" ]; then
    echo "building $target${newer:+ ($newer is newer)} ..." >&2
    (cd "$repo_root" && ./mvnw -q -B -DskipTests -pl "$module" -am package) >&2 || die "build of $module failed"
    [ -f "$target" ] || die "the build did not produce $target"
  fi
}

ensure_c() {
  local src=$1 bin=$2
  command -v gcc >/dev/null || die "gcc is needed for $src (apt-get install -y gcc)"
  if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
    mkdir -p "$(dirname "$bin")"
    gcc -O2 -Wall -Wextra -o "$bin" "$src" || die "gcc failed on $src"
  fi
}

run_capture() {
  local name=$1 out
  shift
  out=$("$@") || die "$name failed (exit $?): $*"
  [ -n "$out" ] || die "$name printed nothing: $*"
  printf '%s\n' "$out"
}

field() {
  local v
  v=$(printf '%s\n' "$2" | sed -n "s/.*$1=\([^ ]*\).*/\1/p" | head -1)
  [ -n "$v" ] || die "no $1= in output: $2"
  printf '%s\n' "$v"
}

median() {
  sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; print v[int((NR + 1) / 2)] }'
}
