package io.github.lb4j.health.check;

import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.spi.HealthCheckerProvider;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/** Name, description and option names of one method; subclasses build the checker. Thread-safe, stateless. */
abstract class BaseProvider implements HealthCheckerProvider {

  private final String name;
  private final String description;
  private final Set<String> options;

  BaseProvider(String name, String description, Set<String> options) {
    this.name = name;
    this.description = description;
    this.options = Set.copyOf(options);
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final String description() {
    return description;
  }

  @Override
  public Set<String> optionNames() {
    return options;
  }

  @Override
  public final HealthChecker create(Map<String, String> options) {
    Objects.requireNonNull(options, "options");
    return create(Options.of(name, options, optionNames()));
  }

  abstract HealthChecker create(Options o);
}
