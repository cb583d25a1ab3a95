package io.github.lb4j.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Moves the calling thread into a network namespace until {@link #close()} moves it back ({@code
 * setns(2)} with {@code CLONE_NEWNET}). Sockets opened meanwhile belong to that namespace for their
 * whole life, whatever thread later uses them, so a process can run, for example, a packet worker
 * inside a lab namespace created with {@code ip netns add}.
 *
 * <pre>{@code
 * try (NetworkNamespace ns = NetworkNamespace.enter("lab")) {
 *   socket = PacketSocket.open(NetInterface.byName("veth1"), PacketSocket.Options.defaults());
 * }
 * }</pre>
 *
 * <p>Needs {@code CAP_SYS_ADMIN}. Only the calling thread changes namespace; open, use and close on
 * that one thread, and do not use it on virtual threads (their carrier could change). Allocates a
 * little native memory; does not block.
 */
public final class NetworkNamespace implements AutoCloseable {

  private final Arena arena;
  private final MemorySegment state;
  private final int previous;
  private final String name;
  private boolean closed;

  private NetworkNamespace(Arena arena, MemorySegment state, int previous, String name) {
    this.arena = arena;
    this.state = state;
    this.previous = previous;
    this.name = name;
  }

  /**
   * Enters a namespace.
   *
   * @param nameOrPath a name made with {@code ip netns add} (looked up in {@code /run/netns}) or a path
   *     such as {@code /proc/1234/ns/net}
   * @return the handle whose {@link #close()} returns to the previous namespace
   * @throws NativeCallException when the namespace does not exist ({@code ENOENT}) or setns fails
   * @throws MissingCapabilityException without {@code CAP_SYS_ADMIN}
   */
  public static NetworkNamespace enter(String nameOrPath) {
    if (nameOrPath.isEmpty() || nameOrPath.contains("..")) {
      throw new IllegalArgumentException("namespace must be a name or an absolute path, was '" + nameOrPath + "'");
    }
    String path = nameOrPath.indexOf('/') >= 0 ? nameOrPath : "/run/netns/" + nameOrPath;
    Arena arena = Arena.ofConfined();
    MemorySegment state = LibC.captureState(arena);
    int previous = LibC.open(state, arena.allocateFrom("/proc/thread-self/ns/net"), LibC.O_RDONLY | LibC.O_CLOEXEC);
    if (previous < 0) {
      NativeCallException e = LibC.fail("open(\"/proc/thread-self/ns/net\")", state);
      arena.close();
      throw e;
    }
    int target = LibC.open(state, arena.allocateFrom(path), LibC.O_RDONLY | LibC.O_CLOEXEC);
    if (target < 0) {
      int errno = LibC.errno(state);
      NativeCallException e = errno == LibC.EACCES || errno == LibC.EPERM
          ? new MissingCapabilityException("open(\"" + path + "\")", errno, "opening another process's namespace needs CAP_SYS_ADMIN or CAP_SYS_PTRACE over it: run as root")
          : NativeCallException.of("open(\"" + path + "\")", errno);
      LibC.close(state, previous);
      arena.close();
      throw e;
    }
    int rc = LibC.setns(state, target, LibC.CLONE_NEWNET);
    int errno = LibC.errno(state);
    LibC.close(state, target);
    if (rc < 0) {
      LibC.close(state, previous);
      arena.close();
      if (errno == LibC.EPERM) {
        throw new MissingCapabilityException("setns(\"" + path + "\", CLONE_NEWNET)", errno, "entering a network namespace needs CAP_SYS_ADMIN: run as root");
      }
      throw NativeCallException.of("setns(\"" + path + "\", CLONE_NEWNET)", errno);
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
    int rc = LibC.setns(state, previous, LibC.CLONE_NEWNET);
    NativeCallException failure = rc < 0 ? LibC.fail("setns(previous namespace, CLONE_NEWNET)", state) : null;
    LibC.close(state, previous);
    arena.close();
    if (failure != null) {
      throw failure;
    }
  }

  @Override
  public String toString() {
    return "network namespace " + name;
  }
}
