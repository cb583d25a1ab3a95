package io.github.lb4j.pool;

import io.github.lb4j.api.Backend;
import java.util.Collection;

/**
 * Where a {@link MembershipSource} pushes the backends it discovers; implemented by {@link
 * BackendPool}.
 *
 * <p>Any thread may call any method at any time, also after the pool closed (the call is then
 * ignored). Calls are applied in order on the pool's control context; each call publishes at most
 * one new snapshot to the scheduler, however many backends it changes. Never blocks; allocates.
 */
public interface MembershipSink {

  /**
   * Replaces the whole membership: backends not in {@code backends} are removed, new ones added,
   * changed ones updated (what a DNS answer or a file gives).
   *
   * @param backends the complete set; ids must be unique
   * @throws IllegalArgumentException naming the id when an id repeats
   */
  void set(Collection<Backend> backends);

  /**
   * Adds a backend, or replaces the backend with the same id (a new address, weight or metadata).
   *
   * @param backend the backend
   */
  void put(Backend backend);

  /**
   * Removes a backend; requests in flight on it continue and end normally. Unknown ids are ignored.
   *
   * @param backendId the id
   */
  void remove(String backendId);
}
