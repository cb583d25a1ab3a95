package io.github.lb4j.pool;

import io.github.lb4j.api.Backend;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A membership source the embedder drives by hand: an orchestrator callback, a configuration
 * reload, a test. Changes made before the pool starts it are kept and pushed when it starts.
 *
 * <p>Thread-safe: any thread may call any method; calls are forwarded in order. Methods allocate
 * and never block (beyond a short lock that orders the calls).
 */
public final class DynamicMembership implements MembershipSource {

  private @Nullable MembershipSink sink;
  private final Map<String, Backend> pending = new LinkedHashMap<>();
  private boolean closed;

  /** Creates a source with no backends. */
  public DynamicMembership() {}

  /**
   * Creates a source that starts with these backends.
   *
   * @param initial the backends; ids must be unique
   * @throws IllegalArgumentException naming the id when an id repeats
   */
  public DynamicMembership(Collection<Backend> initial) {
    set(initial);
  }

  @Override
  public synchronized void start(MembershipSink sink) {
    if (this.sink != null) {
      throw new IllegalStateException("this membership source already feeds a pool");
    }
    this.sink = Objects.requireNonNull(sink, "sink");
    sink.set(new ArrayList<>(pending.values()));
    pending.clear();
  }

  /**
   * Replaces the whole membership.
   *
   * @param backends the complete set; ids must be unique
   * @throws IllegalArgumentException naming the id when an id repeats
   */
  public synchronized void set(Collection<Backend> backends) {
    List<Backend> copy = List.copyOf(backends);
    Memberships.checkUnique(copy);
    MembershipSink s = sink;
    if (closed) {
      return;
    }
    if (s == null) {
      pending.clear();
      copy.forEach(b -> pending.put(b.id(), b));
    } else {
      s.set(copy);
    }
  }

  /**
   * Adds a backend or replaces the one with the same id.
   *
   * @param backend the backend
   */
  public synchronized void put(Backend backend) {
    Objects.requireNonNull(backend, "backend");
    MembershipSink s = sink;
    if (closed) {
      return;
    }
    if (s == null) {
      pending.put(backend.id(), backend);
    } else {
      s.put(backend);
    }
  }

  /**
   * Removes a backend; unknown ids are ignored.
   *
   * @param backendId the id
   */
  public synchronized void remove(String backendId) {
    Objects.requireNonNull(backendId, "backendId");
    MembershipSink s = sink;
    if (closed) {
      return;
    }
    if (s == null) {
      pending.remove(backendId);
    } else {
      s.remove(backendId);
    }
  }

  /** Stops forwarding: later calls are ignored. */
  @Override
  public synchronized void close() {
    closed = true;
  }
}
