/**
 * Test support shared by lb4j's modules, used in test scope only: one way for a test that needs
 * root, a capability, a tool or IPv6 to skip with a printed reason, or to fail instead when {@code
 * LB_REQUIRE_PRIVILEGED=1} (CI); and a lab of two network namespaces joined by a veth pair.
 */
module io.github.lb4j.testing {
  requires static org.jspecify;
  requires transitive org.junit.jupiter.api;

  exports io.github.lb4j.testing;
}
