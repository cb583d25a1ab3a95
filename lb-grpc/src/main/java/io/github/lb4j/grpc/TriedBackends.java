package io.github.lb4j.grpc;

import io.github.lb4j.api.Backend;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The backends one call's attempts went to, in order. Hedged attempts pick concurrently, so the list
 * is copy-on-write: a pick reads a stable random-access snapshot (the pool's exclusion scan then
 * allocates nothing) and an addition copies a list of a few entries. Any thread; never blocks.
 */
final class TriedBackends {

  private final CopyOnWriteArrayList<Backend> backends = new CopyOnWriteArrayList<>();

  List<Backend> backends() {
    return backends;
  }

  boolean isEmpty() {
    return backends.isEmpty();
  }

  void add(Backend backend) {
    backends.add(backend);
  }

  @Override
  public String toString() {
    return "TriedBackends" + backends.stream().map(Backend::id).toList();
  }
}
