/** The runnable reference gateway {@code lb}. */
module io.github.lb4j.gateway {
  requires static org.jspecify;
  requires io.github.lb4j.api;
  requires io.github.lb4j.algorithms;
  requires io.github.lb4j.health;
  requires io.github.lb4j.nat;
  requires io.github.lb4j.linux;
  requires info.picocli;
  requires org.slf4j;
}
