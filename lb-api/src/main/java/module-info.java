/**
 * lb4j's contracts and value types: {@link io.github.lb4j.api.Scheduler}, {@link
 * io.github.lb4j.api.HealthChecker} and {@link io.github.lb4j.api.NatTranslator}, the values they
 * exchange, and the service-provider interfaces through which implementations are found by name.
 */
module io.github.lb4j.api {
  requires static transitive org.jspecify;

  exports io.github.lb4j.api;
  exports io.github.lb4j.api.spi;

  uses io.github.lb4j.api.spi.SchedulerProvider;
  uses io.github.lb4j.api.spi.HealthCheckerProvider;
}
