package io.github.lb4j.health.linux;

import java.util.Locale;
import java.util.function.Supplier;

/**
 * Turns "this host cannot run lb-linux at all" into the {@link UnsupportedOperationException} the
 * checker SPI asks for, instead of a linkage error from the native binding.
 *
 * <p>Stateless; any thread may call it.
 */
final class Platform {

  private Platform() {}

  static <T> T require(String method, Supplier<T> body) {
    String os = System.getProperty("os.name", "");
    if (!os.toLowerCase(Locale.ROOT).startsWith("linux")) {
      throw new UnsupportedOperationException(method + " needs Linux (lb-linux uses Linux sockets); this is " + os);
    }
    try {
      return body.get();
    } catch (ExceptionInInitializerError | NoClassDefFoundError | UnsatisfiedLinkError | IllegalCallerException e) {
      throw new UnsupportedOperationException(method + " cannot bind libc through the FFM API (" + e
          + "); run on JDK 22+ with --enable-native-access=io.github.lb4j.linux (or ALL-UNNAMED on the class path)", e);
    }
  }
}
