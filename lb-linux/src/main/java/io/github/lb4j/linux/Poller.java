package io.github.lb4j.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Waits on several descriptors at once with {@code poll(2)}, and can be woken from another thread
 * through an {@code eventfd(2)}: the loop of one I/O thread that owns some sockets (the ICMP and
 * half-open checkers, a datapath worker serving several interfaces).
 *
 * <p>{@link #add}, {@link #poll} and {@link #readyOps} belong to the owning thread; {@link #wakeup}
 * may be called from any thread. {@link #poll} blocks up to its timeout; nothing allocates after
 * {@link #open}. {@link #close()} (owning thread, after the loop ended) frees the eventfd and memory;
 * it does not close the descriptors that were added.
 */
public final class Poller implements AutoCloseable {

  /** Readable ({@code POLLIN}). */
  public static final int IN = LibC.POLLIN;
  /** Writable ({@code POLLOUT}). */
  public static final int OUT = LibC.POLLOUT;
  /** Error pending, for example a queued ICMP error ({@code POLLERR}); always reported. */
  public static final int ERR = LibC.POLLERR;

  private static final int POLLFD_SIZE = 8;

  private final Arena arena;
  private final MemorySegment state;
  private final MemorySegment wakeState;
  private final MemorySegment fds;
  private final MemorySegment counter;
  private final MemorySegment wakeCounter;
  private final int capacity;
  private final int eventFd;
  private int count;
  private boolean closed;

  private Poller(Arena arena, int capacity, int eventFd, MemorySegment state) {
    this.arena = arena;
    this.capacity = capacity;
    this.eventFd = eventFd;
    this.state = state;
    this.wakeState = LibC.captureState(arena);
    this.fds = arena.allocate((long) POLLFD_SIZE * (capacity + 1), 8);
    this.counter = arena.allocate(8, 8);
    this.wakeCounter = arena.allocateFrom(ValueLayout.JAVA_LONG, 1L);
    fds.set(ValueLayout.JAVA_INT, 0, eventFd);
    fds.set(ValueLayout.JAVA_SHORT, 4, LibC.POLLIN);
  }

  /**
   * Opens a poller for up to {@code capacity} descriptors.
   *
   * @param capacity how many descriptors {@link #add} may register, 1..1024
   * @return the poller
   * @throws NativeCallException when {@code eventfd(2)} fails
   */
  public static Poller open(int capacity) {
    if (capacity < 1 || capacity > 1024) {
      throw new IllegalArgumentException("poller capacity must be 1..1024, was " + capacity);
    }
    Arena arena = Arena.ofShared();
    try {
      MemorySegment state = LibC.captureState(arena);
      int fd = LibC.eventfd(state, 0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC);
      if (fd < 0) {
        throw LibC.fail("eventfd(0, EFD_NONBLOCK)", state);
      }
      return new Poller(arena, capacity, fd, state);
    } catch (RuntimeException | Error e) {
      arena.close();
      throw e;
    }
  }

  /**
   * Registers a descriptor.
   *
   * @param fd the descriptor, for example {@link IpSocket#fd()}
   * @param events {@link #IN}, {@link #OUT} or both
   * @return the slot to pass to {@link #readyOps} and {@link #interest}
   */
  public int add(int fd, int events) {
    if (count == capacity) {
      throw new IllegalStateException("poller is full (" + capacity + " descriptors)");
    }
    count++;
    long at = (long) POLLFD_SIZE * count;
    fds.set(ValueLayout.JAVA_INT, at, fd);
    fds.set(ValueLayout.JAVA_SHORT, at + 4, (short) events);
    fds.set(ValueLayout.JAVA_SHORT, at + 6, (short) 0);
    return count - 1;
  }

  /**
   * Changes the events a slot waits for.
   *
   * @param slot a slot from {@link #add}
   * @param events {@link #IN}, {@link #OUT}, both, or 0
   */
  public void interest(int slot, int events) {
    fds.set(ValueLayout.JAVA_SHORT, (long) POLLFD_SIZE * (slot + 1) + 4, (short) events);
  }

  /**
   * Waits until a descriptor is ready, {@link #wakeup} is called, or the timeout passes.
   *
   * @param timeoutMillis how long to wait; 0 returns at once, negative waits without limit
   * @return how many registered descriptors are ready (0 after a timeout or a wakeup)
   * @throws NativeCallException when {@code poll(2)} fails other than with {@code EINTR}
   */
  public int poll(int timeoutMillis) {
    int n = LibC.poll(state, fds, count + 1, timeoutMillis);
    if (n < 0) {
      if (LibC.errno(state) == LibC.EINTR) {
        return 0;
      }
      throw LibC.fail("poll(" + (count + 1) + " fds)", state);
    }
    if ((fds.get(ValueLayout.JAVA_SHORT, 6) & LibC.POLLIN) != 0) {
      LibC.read(state, eventFd, counter, 8);
      n--;
    }
    return n;
  }

  /**
   * Returns the events that were ready on a slot after the last {@link #poll}.
   *
   * @param slot a slot from {@link #add}
   * @return the ready events ({@link #IN}, {@link #OUT}, {@link #ERR}, hang-up 0x10), 0 if none
   */
  public int readyOps(int slot) {
    return fds.get(ValueLayout.JAVA_SHORT, (long) POLLFD_SIZE * (slot + 1) + 6) & 0xFFFF;
  }

  /** Makes a {@link #poll} in progress, or the next one, return at once. Any thread; no allocation. */
  public void wakeup() {
    synchronized (wakeCounter) {
      if (!closed) {
        LibC.write(wakeState, eventFd, wakeCounter, 8);
      }
    }
  }

  /** Closes the eventfd and frees the poller's memory; the added descriptors stay open. Idempotent. */
  @Override
  public void close() {
    synchronized (wakeCounter) {
      if (closed) {
        return;
      }
      closed = true;
      LibC.close(state, eventFd);
    }
    arena.close();
  }
}
