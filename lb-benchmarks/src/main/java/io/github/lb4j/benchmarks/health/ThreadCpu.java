package io.github.lb4j.benchmarks.health;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time of this process's threads read from {@code /proc/self/task/<tid>/stat} (utime + stime,
 * fields 14 and 15, in clock ticks of 10 ms), grouped by thread-name prefix (the kernel keeps the
 * first 15 characters of a Java thread's name). Linux only; allocates; blocks on /proc reads.
 */
final class ThreadCpu {

  static final long NANOS_PER_TICK = 10_000_000L;

  private ThreadCpu() {}

  /** CPU nanoseconds of the live threads whose name starts with {@code prefix} (empty: all). */
  static long nanos(String prefix) throws IOException {
    long ticks = 0;
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
      for (Path t : tasks) {
        String stat;
        String comm;
        try {
          stat = Files.readString(t.resolve("stat"));
          comm = Files.readString(t.resolve("comm")).trim();
        } catch (IOException e) {
          continue;
        }
        if (!comm.startsWith(prefix)) {
          continue;
        }
        ticks += ticks(stat);
      }
    }
    return ticks * NANOS_PER_TICK;
  }

  /** CPU nanoseconds of the whole process, dead threads included. */
  static long processNanos() throws IOException {
    return ticks(Files.readString(Path.of("/proc/self/stat"))) * NANOS_PER_TICK;
  }

  private static long ticks(String stat) {
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // f[0] is field 3 (state): utime is field 14, stime field 15.
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }
}
