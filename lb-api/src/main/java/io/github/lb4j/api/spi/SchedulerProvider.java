package io.github.lb4j.api.spi;

import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;

/**
 * Makes one scheduling algorithm available by name to {@link io.github.lb4j.api.Schedulers}.
 *
 * <p>Implementations must have a public no-argument constructor (or a static {@code provider()}
 * method, for modules), must be thread-safe, and their {@link #create} may allocate but must not
 * block.
 */
public interface SchedulerProvider {

  /**
   * Returns the registry name, lower case with hyphens, for example {@code "least-connections"}.
   *
   * @return the registry name, lower case with hyphens, for example {@code "least-connections"}
   */
  String name();

  /**
   * Returns one line saying what the algorithm does and the source it follows.
   *
   * @return one line saying what the algorithm does and the source it follows
   */
  String description();

  /**
   * Creates a scheduler with no backends yet.
   *
   * @param config the configuration
   * @return a new scheduler
   * @throws IllegalArgumentException naming the option and value when an option is unknown or invalid
   */
  Scheduler create(SchedulerConfig config);
}
