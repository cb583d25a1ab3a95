package io.github.lb4j.testing.linux;

import io.github.lb4j.testing.Capability;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs code on a fresh thread whose effective capability set lacks some capabilities ({@code
 * capset(2)} acts on the calling thread only), so that "missing capability" paths can be tested on
 * a root machine. Blocks until the code ends.
 */
public final class ThreadCapabilities {

  private static final int LINUX_CAPABILITY_VERSION_3 = 0x20080522;

  private ThreadCapabilities() {}

  /**
   * Calls {@code body} on a new thread without {@code capabilities} in its effective set.
   *
   * @param body the code to run
   * @param capabilities what the thread must lack
   * @param <T> the result type
   * @return what {@code body} returned
   * @throws Exception what {@code body} threw, or an {@link IllegalStateException} when capget or
   *     capset failed
   */
  public static <T> T without(Callable<T> body, Capability... capabilities) throws Exception {
    AtomicReference<T> result = new AtomicReference<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread t = new Thread(() -> {
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment state = Syscalls.state(arena);
        MemorySegment header = arena.allocate(8, 4);
        header.set(ValueLayout.JAVA_INT, 0, LINUX_CAPABILITY_VERSION_3);
        MemorySegment data = arena.allocate(24, 4);
        if (Syscalls.capget(state, header, data) != 0) {
          throw new IllegalStateException("capget failed: errno " + Syscalls.errno(state));
        }
        int effective = data.get(ValueLayout.JAVA_INT, 0);
        for (Capability c : capabilities) {
          effective &= ~(1 << c.number());
        }
        data.set(ValueLayout.JAVA_INT, 0, effective);
        if (Syscalls.capset(state, header, data) != 0) {
          throw new IllegalStateException("capset failed: errno " + Syscalls.errno(state));
        }
        result.set(body.call());
      } catch (Throwable e) {
        failure.set(e);
      }
    }, "without-capabilities");
    t.start();
    t.join();
    Throwable e = failure.get();
    if (e instanceof Exception ex) {
      throw ex;
    }
    if (e instanceof Error err) {
      throw err;
    }
    return result.get();
  }
}
