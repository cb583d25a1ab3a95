package io.github.lb4j.api;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Picks a backend for each new flow or request (seed S3).
 *
 * <p><b>Two planes.</b> {@link #select} is the data plane: any number of threads may call it
 * concurrently; it never allocates, never blocks and never throws for an empty or degraded pool
 * (it returns {@code null}, "none", and the configured {@link NoBackendPolicy} decides when). {@link
 * #update} is the control plane: one thread at a time (calls must be serialized by the caller); it
 * may allocate and precompute, then publishes an immutable snapshot with one volatile write, so a
 * {@code select} sees the old or the new snapshot, never a mix.
 *
 * <p><b>Live load.</b> Per-backend counters (active and inactive sessions, pending requests,
 * latency) live in the {@link SessionCounters} given at creation, keyed by backend id; they survive
 * every {@code update}. Callers report sessions and requests through {@link BackendLoad}.
 *
 * <p><b>Drain.</b> A backend of weight 0 receives no new flows; flows already assigned to it are
 * not the scheduler's to cut.
 *
 * <p>Create schedulers by name with {@link Schedulers#create(String, SchedulerConfig)}.
 */
public interface Scheduler {

  /**
   * Returns the registry name of the algorithm, for example {@code "maglev"}.
   *
   * @return the registry name of the algorithm, for example {@code "maglev"}
   */
  String name();

  /**
   * Chooses a backend for a new flow or request. Thread-safe, allocation-free, non-blocking, O(1) or
   * O(log n) in the number of backends.
   *
   * @param flow the flow; hashing schedulers read it, others may ignore it
   * @return the chosen backend, or {@code null} when no backend is eligible ("none")
   */
  @Nullable Backend select(FlowKey flow);

  /**
   * Publishes a new membership: the eligible (healthy) backends with their weights, and the
   * ineligible (unhealthy) ones, which are used only when the {@link NoBackendPolicy} fails open or
   * the panic threshold is reached. Control plane only: calls must not overlap.
   *
   * @param eligible the healthy backends, weight 0 meaning drain; ids must be unique
   * @param ineligible the unhealthy backends; ids must be unique and not among {@code eligible}
   * @throws IllegalArgumentException naming the id when an id repeats
   */
  void update(List<Backend> eligible, List<Backend> ineligible);

  /**
   * Publishes a new membership in which every backend is healthy.
   *
   * @param eligible the backends, weight 0 meaning drain
   * @throws IllegalArgumentException naming the id when an id repeats
   */
  default void update(List<Backend> eligible) {
    update(eligible, List.of());
  }

  /**
   * Returns the eligible backends of the current snapshot, in the order given to {@link #update}.
   * Any thread; does not allocate (the list is the snapshot's own, immutable).
   *
   * @return the current eligible backends
   */
  List<Backend> backends();

  /**
   * Returns the live counters this scheduler reads and callers feed. Any thread.
   *
   * @return the session counters given at creation
   */
  SessionCounters sessions();
}
