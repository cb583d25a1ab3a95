/**
 * A consumer of lb4j as a named module. lb-algorithms is not required: it exports nothing, and
 * service binding resolves it from the module path because lb-api {@code uses} SchedulerProvider.
 */
module com.example.embed {
  requires io.github.lb4j.api;
  requires io.github.lb4j.health;
  // Not used by the example: compiled here so that every Java 17 module of lb4j is shown to
  // resolve for a JPMS consumer (everything a module-info requires transitively must reach it).
  requires io.github.lb4j.nat;
}
