package io.github.lb4j.pool;

import io.github.lb4j.api.Backend;
import java.util.Collection;
import java.util.List;

/**
 * The service-provider interface of backend discovery: a static list, DNS, a file, a registry. A
 * source is started once by the pool it is given to and pushes what it knows, now and later, to the
 * {@link MembershipSink}; the pool closes it when the pool closes.
 *
 * <p>Implementations decide their own threads: a static source pushes from {@link #start}; a
 * polling one schedules its refreshes; a watching one pushes from its callback thread. {@link
 * #start} must not block for long (start the first lookup, do not wait for it); {@link #close} must
 * stop every thread and timer the source started.
 */
public interface MembershipSource extends AutoCloseable {

  /**
   * Starts pushing membership to the pool. Called once, by the pool's builder.
   *
   * @param sink where the backends go
   */
  void start(MembershipSink sink);

  /** Stops the source: no push after it returns. The default does nothing. */
  @Override
  default void close() {}

  /**
   * Returns a source that pushes a fixed list once, when started.
   *
   * @param backends the backends; ids must be unique
   * @return the source
   * @throws IllegalArgumentException naming the id when an id repeats
   */
  static MembershipSource of(Collection<Backend> backends) {
    List<Backend> copy = List.copyOf(backends);
    Memberships.checkUnique(copy);
    return sink -> sink.set(copy);
  }
}
