package io.github.lb4j.testing.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/** The five libc calls these helpers need, each capturing errno. Any thread; allocates per call. */
final class Syscalls {

  static final int O_RDONLY = 0;
  static final int O_CLOEXEC = 0x80000;
  static final int CLONE_NEWNET = 0x40000000;
  static final int EPERM = 1;

  private static final Linker LINKER = Linker.nativeLinker();
  private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
  private static final MethodHandle OPEN = handle("open", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
  private static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
  private static final MethodHandle SETNS = handle("setns", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
  private static final MethodHandle CAPGET = handle("capget", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
  private static final MethodHandle CAPSET = handle("capset", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));

  private Syscalls() {}

  @SuppressWarnings("restricted")
  private static MethodHandle handle(String name, FunctionDescriptor fd) {
    return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), fd, Linker.Option.captureCallState("errno"));
  }

  static MemorySegment state(Arena arena) {
    return arena.allocate(CAPTURE);
  }

  static int errno(MemorySegment state) {
    return (int) ERRNO.get(state, 0L);
  }

  static int open(MemorySegment state, Arena arena, String path) {
    try {
      return (int) OPEN.invokeExact(state, arena.allocateFrom(path), O_RDONLY | O_CLOEXEC);
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  static int close(MemorySegment state, int fd) {
    try {
      return (int) CLOSE.invokeExact(state, fd);
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  static int setns(MemorySegment state, int fd, int type) {
    try {
      return (int) SETNS.invokeExact(state, fd, type);
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  static int capget(MemorySegment state, MemorySegment header, MemorySegment data) {
    try {
      return (int) CAPGET.invokeExact(state, header, data);
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  static int capset(MemorySegment state, MemorySegment header, MemorySegment data) {
    try {
      return (int) CAPSET.invokeExact(state, header, data);
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }
}
