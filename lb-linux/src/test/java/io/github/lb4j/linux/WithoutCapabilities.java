package io.github.lb4j.linux;

import io.github.lb4j.testing.Capability;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs code on a fresh thread whose effective capability set lacks some capabilities (capset(2) acts
 * on the calling thread only), so the "missing capability" paths can be tested on a root machine.
 */
public final class WithoutCapabilities {

  private static final int LINUX_CAPABILITY_VERSION_3 = 0x20080522;

  private WithoutCapabilities() {}

  @SuppressWarnings("restricted")
  public static <T> T call(java.util.concurrent.Callable<T> body, Capability... capabilities) throws Exception {
    AtomicReference<T> result = new AtomicReference<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread t = new Thread(() -> {
      try (Arena arena = Arena.ofConfined()) {
        Linker linker = Linker.nativeLinker();
        FunctionDescriptor fd = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS);
        MethodHandle capget = linker.downcallHandle(linker.defaultLookup().find("capget").orElseThrow(), fd);
        MethodHandle capset = linker.downcallHandle(linker.defaultLookup().find("capset").orElseThrow(), fd);
        MemorySegment header = arena.allocate(8, 4);
        header.set(ValueLayout.JAVA_INT, 0, LINUX_CAPABILITY_VERSION_3);
        MemorySegment data = arena.allocate(24, 4);
        if ((int) capget.invokeExact(header, data) != 0) {
          throw new IllegalStateException("capget failed");
        }
        int effective = data.get(ValueLayout.JAVA_INT, 0);
        for (Capability c : capabilities) {
          effective &= ~(1 << c.number());
        }
        data.set(ValueLayout.JAVA_INT, 0, effective);
        if ((int) capset.invokeExact(header, data) != 0) {
          throw new IllegalStateException("capset failed");
        }
        result.set(body.call());
      } catch (Throwable e) {
        failure.set(e);
      }
    });
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
