/** The userspace packet-rewrite core of lb4j. */
module io.github.lb4j.nat {
  requires static org.jspecify;
  requires io.github.lb4j.api;
  requires org.slf4j;
}
