/**
 * Test support for lb4j's FFM modules, in test scope only: a thread enters a network namespace
 * ({@code setns(2)}) or drops capabilities ({@code capset(2)}), through its own small FFM bindings so
 * that the tests of lb-linux never set up their environment with the code under test.
 */
module io.github.lb4j.testing.linux {
  requires static org.jspecify;
  requires transitive io.github.lb4j.testing;

  exports io.github.lb4j.testing.linux;
}
