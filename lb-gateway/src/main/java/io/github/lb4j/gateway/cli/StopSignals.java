package io.github.lb4j.gateway.cli;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Proxy;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * SIGTERM and SIGINT for a long-running command: the first asks for a graceful stop ({@link #await}
 * returns), the second for an immediate one (the given action runs on its own thread), later ones
 * are ignored. The JVM's own handlers (which would run the shutdown hooks and exit at once) are
 * replaced while this is open and put back by {@link #close()}.
 *
 * <p>{@code sun.misc.Signal} (module jdk.unsupported, exported for exactly this use) is the JDK's
 * only way to handle a signal. It is reached through method handles because javac, compiling with
 * {@code --release}, flags every direct use as proprietary API with a warning that cannot be
 * suppressed, and the build treats warnings as errors. Handlers run on the JVM's signal thread; the
 * methods here may be called from any thread.
 */
final class StopSignals implements AutoCloseable {

  private static final String[] NAMES = {"TERM", "INT"};

  private final CountDownLatch first = new CountDownLatch(1);
  private final AtomicInteger received = new AtomicInteger();
  private final Runnable immediateStop;
  private final Map<Object, Object> previous = new LinkedHashMap<>();
  private volatile @Nullable String firstName;
  private volatile int firstNumber;

  private StopSignals(Runnable immediateStop) {
    this.immediateStop = immediateStop;
  }

  /**
   * Takes over SIGTERM and SIGINT.
   *
   * @param immediateStop what a second signal runs
   * @return the handle; close it to give the signals back
   * @throws IllegalStateException when this JDK cannot handle signals
   */
  static StopSignals install(Runnable immediateStop) {
    StopSignals s = new StopSignals(immediateStop);
    Object handler = Proxy.newProxyInstance(Api.HANDLER.getClassLoader(), new Class<?>[] {Api.HANDLER}, (proxy, method, args) ->
        switch (method.getName()) {
          case "handle" -> {
            s.handle(args[0]);
            yield null;
          }
          case "hashCode" -> System.identityHashCode(proxy);
          case "equals" -> proxy == args[0];
          default -> "lb stop signals";
        });
    for (String name : NAMES) {
      Object signal = Api.signal(name);
      s.previous.put(signal, Api.handle(signal, handler));
    }
    return s;
  }

  private void handle(Object signal) {
    int n = received.incrementAndGet();
    if (n == 1) {
      firstNumber = Api.number(signal);
      firstName = "SIG" + Api.name(signal);
      first.countDown();
    } else if (n == 2) {
      Thread t = new Thread(immediateStop, "lb-immediate-stop");
      t.setDaemon(true);
      t.start();
    }
  }

  /**
   * Waits for the first signal.
   *
   * @param millis how long to wait
   * @return true once a signal has come
   * @throws InterruptedException when interrupted
   */
  boolean await(long millis) throws InterruptedException {
    return first.await(millis, TimeUnit.MILLISECONDS);
  }

  /** The first signal's name, for example SIGTERM. */
  String name() {
    String n = firstName;
    return n == null ? "no signal" : n;
  }

  /** The exit status of a process ended by the first signal: 128 plus its number (143, 130). */
  int exitStatus() {
    return firstName == null ? 0 : 128 + firstNumber;
  }

  @Override
  public void close() {
    previous.forEach(Api::handle);
  }

  /** Method handles on sun.misc.Signal and SignalHandler, looked up once. */
  private static final class Api {
    static final Class<?> SIGNAL = load("sun.misc.Signal");
    static final Class<?> HANDLER = load("sun.misc.SignalHandler");
    private static final MethodHandle NEW;
    private static final MethodHandle HANDLE;
    private static final MethodHandle NUMBER;
    private static final MethodHandle NAME;

    static {
      MethodHandles.Lookup l = MethodHandles.publicLookup();
      try {
        NEW = l.findConstructor(SIGNAL, MethodType.methodType(void.class, String.class));
        HANDLE = l.findStatic(SIGNAL, "handle", MethodType.methodType(HANDLER, SIGNAL, HANDLER));
        NUMBER = l.findVirtual(SIGNAL, "getNumber", MethodType.methodType(int.class));
        NAME = l.findVirtual(SIGNAL, "getName", MethodType.methodType(String.class));
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("this JDK cannot handle signals: " + e, e);
      }
    }

    private static Class<?> load(String name) {
      try {
        return Class.forName(name);
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException("this JDK cannot handle signals: " + name + " is missing", e);
      }
    }

    static Object signal(String name) {
      try {
        return NEW.invoke(name);
      } catch (Throwable t) {
        throw new IllegalStateException("cannot handle SIG" + name + ": " + t.getMessage(), t);
      }
    }

    static Object handle(Object signal, Object handler) {
      try {
        return HANDLE.invoke(signal, handler);
      } catch (Throwable t) {
        throw new IllegalStateException("cannot handle " + signal + ": " + t.getMessage(), t);
      }
    }

    static int number(Object signal) {
      try {
        return (int) NUMBER.invoke(signal);
      } catch (Throwable t) {
        throw new IllegalStateException(t);
      }
    }

    static String name(Object signal) {
      try {
        return (String) NAME.invoke(signal);
      } catch (Throwable t) {
        throw new IllegalStateException(t);
      }
    }
  }
}
