package io.github.lb4j.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The live per-backend counters shared by a scheduler and by whoever forwards its traffic: one
 * {@link BackendLoad} per backend id, created on first use and kept for the lifetime of this object,
 * so counts survive every scheduler snapshot swap (DESIGN.md, "Two planes").
 *
 * <p>Thread-safe. {@link #of(String)} may allocate the first time an id is seen (control plane, or
 * the first session of a backend); {@link #byHandle(int)} and every {@link BackendLoad} method are
 * allocation-free and non-blocking. Nothing here blocks.
 */
public final class SessionCounters {

  /** Finagle's default decay time for the peak-EWMA latency estimate. */
  public static final Duration DEFAULT_EWMA_DECAY = Duration.ofSeconds(10);

  private final NanoClock clock;
  private final long tauNanos;
  private final ConcurrentHashMap<String, BackendLoad> byId = new ConcurrentHashMap<>();
  /**
   * Counters by handle. The array doubles when full, so registering n backends costs O(n) in
   * all (copying it at every registration cost O(n^2): 116 ms at 20,000 backends). Slots at or
   * beyond {@link #count} are null; a reader that reads this field after the write of a slot sees
   * that slot (the field is written after the slot).
   */
  private volatile BackendLoad[] byHandle = new BackendLoad[16];
  private volatile int count;

  private SessionCounters(NanoClock clock, long tauNanos) {
    this.clock = clock;
    this.tauNanos = tauNanos;
  }

  /**
   * Creates counters on the system clock with the default EWMA decay.
   *
   * @return new counters
   */
  public static SessionCounters create() {
    return create(NanoClock.system(), DEFAULT_EWMA_DECAY);
  }

  /**
   * Creates counters.
   *
   * @param clock the clock that dates latency samples
   * @param ewmaDecay the decay time constant tau of the latency estimate, positive
   * @return new counters
   * @throws IllegalArgumentException naming the value when {@code ewmaDecay} is not positive
   */
  public static SessionCounters create(NanoClock clock, Duration ewmaDecay) {
    Objects.requireNonNull(clock, "clock");
    if (ewmaDecay.isNegative() || ewmaDecay.isZero()) {
      throw new IllegalArgumentException("ewmaDecay must be positive, was " + ewmaDecay);
    }
    return new SessionCounters(clock, ewmaDecay.toNanos());
  }

  /**
   * Returns the counters of a backend, creating them on first use.
   *
   * @param backend the backend
   * @return its counters
   */
  public BackendLoad of(Backend backend) {
    return of(backend.id());
  }

  /**
   * Returns the counters of a backend id, creating them on first use.
   *
   * @param backendId the id
   * @return its counters
   */
  public BackendLoad of(String backendId) {
    BackendLoad load = byId.get(backendId);
    return load != null ? load : create(backendId);
  }

  private synchronized BackendLoad create(String backendId) {
    BackendLoad existing = byId.get(backendId);
    if (existing != null) {
      return existing;
    }
    int handle = count;
    BackendLoad[] slots = byHandle;
    if (handle == slots.length) {
      slots = java.util.Arrays.copyOf(slots, slots.length * 2);
    }
    BackendLoad load = new BackendLoad(backendId, handle, clock, tauNanos);
    slots[handle] = load;
    byHandle = slots;
    count = handle + 1;
    byId.put(backendId, load);
    return load;
  }

  /**
   * Returns the counters with the given {@link BackendLoad#handle()}. Allocation-free.
   *
   * @param handle a handle returned earlier by this object
   * @return the counters, or {@code null} for an unknown handle
   */
  public @Nullable BackendLoad byHandle(int handle) {
    BackendLoad[] all = byHandle;
    return handle >= 0 && handle < all.length ? all[handle] : null;
  }

  /**
   * Returns how many backends have counters here; their handles are {@code 0..size()-1}.
   *
   * @return the number of backends seen, 0 or more
   */
  public int size() {
    return count;
  }

  /**
   * Returns every backend's counters, in handle order (allocates a copy).
   *
   * @return every backend's counters, in handle order (allocates a copy)
   */
  public List<BackendLoad> all() {
    int n = count;
    BackendLoad[] all = byHandle;
    List<BackendLoad> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(all[i]);
    }
    return out;
  }

  /**
   * Returns the clock that dates latency samples.
   *
   * @return the clock that dates latency samples
   */
  public NanoClock clock() {
    return clock;
  }
}
