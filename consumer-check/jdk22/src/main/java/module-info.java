/** A consumer of lb4j's Java 22 modules (FFM) as a named module. */
module com.example.gateway {
  requires io.github.lb4j.gateway;
  requires io.github.lb4j.linux;
}
