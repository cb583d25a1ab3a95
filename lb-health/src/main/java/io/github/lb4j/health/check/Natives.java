package io.github.lb4j.health.check;

import io.github.lb4j.health.spi.NativeCheckerProvider;
import java.util.ServiceLoader;
import org.jspecify.annotations.Nullable;

/** Finds the {@link NativeCheckerProvider} of a method, if lb-health-linux supplies one. Control plane; allocates. */
final class Natives {

  static final String NEEDED =
      "needs lb-health-linux on JDK 22+ (add io.github.lb4j:lb-health-linux, which brings lb-linux, to the module or"
          + " class path and run with --enable-native-access=io.github.lb4j.linux, or ALL-UNNAMED on the class path)";

  private Natives() {}

  static @Nullable NativeCheckerProvider find(String method) {
    for (NativeCheckerProvider p : ServiceLoader.load(NativeCheckerProvider.class, Natives.class.getClassLoader())) {
      if (method.equals(p.method())) {
        return p;
      }
    }
    for (NativeCheckerProvider p : ServiceLoader.load(NativeCheckerProvider.class)) {
      if (method.equals(p.method())) {
        return p;
      }
    }
    return null;
  }
}
