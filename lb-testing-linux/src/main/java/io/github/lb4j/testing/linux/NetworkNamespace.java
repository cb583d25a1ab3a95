package io.github.lb4j.testing.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Moves the calling thread into a network namespace until {@link #close()} moves it back ({@code
 * setns(2)} with {@code CLONE_NEWNET}). Sockets opened meanwhile belong to that namespace for their
 * whole life, whatever thread uses them later, so a test can open a checker's or a datapath's
 * sockets inside a lab namespace.
 *
 * <pre>{@code
 * try (NetworkNamespace ns = NetworkNamespace.enter(lab.client)) {
 *   checker = HealthCheckers.create("icmp", Map.of("socket", "raw"));
 * }
 * }</pre>
 *
 * <p>Needs {@code CAP_SYS_ADMIN}. Only the calling thread changes namespace: enter and close on one
 * platform thread (never a virtual thread, whose carrier may change).
 */
public final class NetworkNamespace implements AutoCloseable {

  private final Arena arena;
  private final MemorySegment state;
  private final int previous;
  private final String path;
  private boolean closed;

  private NetworkNamespace(Arena arena, MemorySegment state, int previous, String path) {
    this.arena = arena;
    this.state = state;
    this.previous = previous;
    this.path = path;
  }

  /**
   * Enters a namespace.
   *
   * @param nameOrPath a name made with {@code ip netns add} (in {@code /run/netns}) or a path such as
   *     {@code /proc/1234/ns/net}
   * @return the handle whose {@link #close()} returns to the previous namespace
   * @throws IllegalStateException naming the call and errno when the namespace does not exist or
   *     {@code setns} fails (errno 1, EPERM, without CAP_SYS_ADMIN)
   */
  public static NetworkNamespace enter(String nameOrPath) {
    if (nameOrPath.isEmpty() || nameOrPath.contains("..")) {
      throw new IllegalArgumentException("namespace must be a name or an absolute path, was '" + nameOrPath + "'");
    }
    String path = nameOrPath.indexOf('/') >= 0 ? nameOrPath : "/run/netns/" + nameOrPath;
    Arena arena = Arena.ofConfined();
    MemorySegment state = Syscalls.state(arena);
    int previous = Syscalls.open(state, arena, "/proc/thread-self/ns/net");
    if (previous < 0) {
      int errno = Syscalls.errno(state);
      arena.close();
      throw new IllegalStateException("open(/proc/thread-self/ns/net) failed: errno " + errno);
    }
    int target = Syscalls.open(state, arena, path);
    if (target < 0) {
      int errno = Syscalls.errno(state);
      Syscalls.close(state, previous);
      arena.close();
      throw new IllegalStateException("open(" + path + ") failed: errno " + errno + " (2 is ENOENT: no such namespace)");
    }
    int rc = Syscalls.setns(state, target, Syscalls.CLONE_NEWNET);
    int errno = Syscalls.errno(state);
    Syscalls.close(state, target);
    if (rc < 0) {
      Syscalls.close(state, previous);
      arena.close();
      throw new IllegalStateException("setns(" + path + ", CLONE_NEWNET) failed: errno " + errno
          + (errno == Syscalls.EPERM ? " (EPERM: needs CAP_SYS_ADMIN)" : ""));
    }
    return new NetworkNamespace(arena, state, previous, path);
  }

  /** Returns the calling thread to the namespace it was in before {@link #enter}. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    int rc = Syscalls.setns(state, previous, Syscalls.CLONE_NEWNET);
    int errno = Syscalls.errno(state);
    Syscalls.close(state, previous);
    arena.close();
    if (rc < 0) {
      throw new IllegalStateException("setns(previous namespace, CLONE_NEWNET) failed: errno " + errno);
    }
  }

  @Override
  public String toString() {
    return "network namespace " + path;
  }
}
