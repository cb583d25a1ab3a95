package io.github.lb4j.pool;

import io.github.lb4j.api.Addresses;
import io.github.lb4j.api.Backend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pool's membership from several sources: static backends and a DNS name, two DNS names, a
 * file and a name. Each part's last push is kept; the pool gets their union, pushed again whenever
 * a part changes (Envoy's cluster with several {@code load_assignment} endpoints groups, HAProxy's
 * {@code server} lines beside a {@code server-template}).
 *
 * <p>The union takes the parts in the order given; a backend is left out when an earlier part
 * already has its id, or its address and port under another id (one server as two backends would
 * get a double share), and the conflict is logged (WARN, once until it clears). A part that fails
 * (a DNS outage) pushes nothing, so its last good backends stay in the union.
 *
 * <p>Thread-safe: parts may push from their own threads at any time; pushes are merged under one
 * short lock and forwarded in order. Allocates per push; never blocks, except {@link
 * #awaitFirstPush}.
 */
public final class MembershipUnion implements MembershipSource {

  private static final Logger LOG = LoggerFactory.getLogger(MembershipUnion.class);

  private final List<MembershipSource> parts;
  private final List<String> names;

  // Guarded by this.
  private final List<Map<String, Backend>> last = new ArrayList<>();
  private final boolean[] pushed;
  private final Set<String> conflictsLogged = new HashSet<>();
  private @Nullable MembershipSink sink;
  private @Nullable List<Backend> published;
  private boolean closed;

  private MembershipUnion(List<? extends MembershipSource> parts, List<String> names) {
    this.parts = List.copyOf(parts);
    this.names = List.copyOf(names);
    this.pushed = new boolean[parts.size()];
    for (int i = 0; i < parts.size(); i++) {
      last.add(new LinkedHashMap<>());
    }
  }

  /**
   * Combines sources, named in logs by their {@code toString()}.
   *
   * @param parts the sources, earlier ones first when ids or addresses collide
   * @return the union, not started
   * @throws IllegalArgumentException when {@code parts} is empty
   */
  public static MembershipUnion of(List<? extends MembershipSource> parts) {
    List<String> names = new ArrayList<>();
    for (MembershipSource p : parts) {
      names.add(String.valueOf(p));
    }
    return of(parts, names);
  }

  /**
   * Combines sources with the names logs and messages give them ({@code srv:_http._tcp.example.test},
   * {@code --backend}).
   *
   * @param parts the sources, earlier ones first when ids or addresses collide
   * @param names one name per source
   * @return the union, not started
   * @throws IllegalArgumentException when {@code parts} is empty or the sizes differ
   */
  public static MembershipUnion of(List<? extends MembershipSource> parts, List<String> names) {
    if (parts.isEmpty()) {
      throw new IllegalArgumentException("a union needs at least one membership source");
    }
    if (parts.size() != names.size()) {
      throw new IllegalArgumentException(parts.size() + " sources but " + names.size() + " names");
    }
    parts.forEach(p -> Objects.requireNonNull(p, "part"));
    return new MembershipUnion(parts, names);
  }

  @Override
  public void start(MembershipSink sink) {
    Objects.requireNonNull(sink, "sink");
    synchronized (this) {
      if (this.sink != null) {
        throw new IllegalStateException("this membership union already feeds a pool");
      }
      if (closed) {
        return;
      }
      this.sink = sink;
    }
    int started = 0;
    try {
      for (; started < parts.size(); started++) {
        parts.get(started).start(new Part(started));
      }
    } catch (RuntimeException e) {
      for (int i = 0; i < started; i++) {
        closeQuietly(i);
      }
      throw e;
    }
  }

  /**
   * Waits until every part has pushed at least once (a static list at once, a DNS source after its
   * first good answer), so that a proxy does not listen with part of its backends unknown. Any
   * thread; blocks up to {@code timeout}.
   *
   * @param timeout how long to wait at most
   * @return the names of the parts that have not pushed yet; empty when all have
   * @throws InterruptedException when interrupted while waiting
   */
  public synchronized List<String> awaitFirstPush(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!closed && waiting().size() > 0) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        break;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return waiting();
  }

  private List<String> waiting() {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < pushed.length; i++) {
      if (!pushed[i]) {
        out.add(names.get(i));
      }
    }
    return out;
  }

  /**
   * Returns the union as last pushed to the pool, in part order. Any thread; allocates a copy.
   *
   * @return the backends; empty before the first push
   */
  public synchronized List<Backend> backends() {
    List<Backend> p = published;
    return p == null ? List.of() : p;
  }

  /** Closes every part: no push after it returns. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      notifyAll();
    }
    for (int i = 0; i < parts.size(); i++) {
      closeQuietly(i);
    }
  }

  private void closeQuietly(int i) {
    try {
      parts.get(i).close();
    } catch (RuntimeException e) {
      LOG.warn("closing membership source {} failed", names.get(i), e);
    }
  }

  /** Merges the parts' last pushes and forwards the result when it differs. Holds the lock. */
  private void publish() {
    MembershipSink s = sink;
    if (closed || s == null) {
      return;
    }
    Map<String, Backend> byId = new LinkedHashMap<>();
    Map<String, String> idByAddress = new HashMap<>();
    Set<String> conflicts = new HashSet<>();
    for (int i = 0; i < last.size(); i++) {
      for (Backend b : last.get(i).values()) {
        String address = address(b);
        Backend sameId = byId.get(b.id());
        String sameAddress = idByAddress.get(address);
        if (sameId != null || sameAddress != null) {
          String conflict = names.get(i) + " " + b.id();
          conflicts.add(conflict);
          if (conflictsLogged.add(conflict)) {
            LOG.warn("{}: backend {} ({}) left out: {}", names.get(i), b.id(), address, sameId != null
                ? "an earlier source has the id " + b.id()
                : "an earlier source has this address as backend " + sameAddress + " (one server would get a double share)");
          }
          continue;
        }
        byId.put(b.id(), b);
        idByAddress.put(address, b.id());
      }
    }
    conflictsLogged.retainAll(conflicts);
    List<Backend> union = List.copyOf(byId.values());
    if (union.equals(published)) {
      return;
    }
    published = union;
    s.set(union);
  }

  private static String address(Backend b) {
    return Addresses.format(b.address(), b.port());
  }

  @Override
  public String toString() {
    return "MembershipUnion" + names;
  }

  /** What one part pushes to: its own last state, then the union. */
  private final class Part implements MembershipSink {
    private final int index;

    Part(int index) {
      this.index = index;
    }

    @Override
    public void set(Collection<Backend> backends) {
      List<Backend> copy = List.copyOf(backends);
      Memberships.checkUnique(copy);
      synchronized (MembershipUnion.this) {
        Map<String, Backend> mine = last.get(index);
        mine.clear();
        copy.forEach(b -> mine.put(b.id(), b));
        pushed(index);
      }
    }

    @Override
    public void put(Backend backend) {
      Objects.requireNonNull(backend, "backend");
      synchronized (MembershipUnion.this) {
        last.get(index).put(backend.id(), backend);
        pushed(index);
      }
    }

    @Override
    public void remove(String backendId) {
      Objects.requireNonNull(backendId, "backendId");
      synchronized (MembershipUnion.this) {
        last.get(index).remove(backendId);
        pushed(index);
      }
    }
  }

  /** Holds the lock. */
  private void pushed(int index) {
    if (!pushed[index]) {
      pushed[index] = true;
      notifyAll();
    }
    publish();
  }
}
