/** lb4j's JMH suite; run from the shaded {@code benchmarks.jar} on the class path. */
module io.github.lb4j.benchmarks {
  requires static org.jspecify;
  requires io.github.lb4j.api;
  requires io.github.lb4j.algorithms;
  requires io.github.lb4j.health;
  requires io.github.lb4j.pool;
  requires io.github.lb4j.nat;
  requires io.github.lb4j.linux;
  requires jmh.core;
  requires java.management;
  requires com.google.common;
}
