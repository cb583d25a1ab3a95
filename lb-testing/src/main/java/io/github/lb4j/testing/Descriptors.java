package io.github.lb4j.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Counts this process's open file descriptors, for leak tests. Any thread; reads {@code /proc}. */
public final class Descriptors {

  private Descriptors() {}

  /**
   * Counts the entries of {@code /proc/self/fd}.
   *
   * @return the number of open descriptors (the listing's own included)
   */
  public static int open() {
    try (var s = Files.list(Path.of("/proc/self/fd"))) {
      return (int) s.count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
