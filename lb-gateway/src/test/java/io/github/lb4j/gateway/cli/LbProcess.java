package io.github.lb4j.gateway.cli;

import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The {@code lb} command as a real child process (its own JVM, signals, exit status), started from
 * the module or class path this test runs on. Standard output and error are collected line by line;
 * tests wait on lines, never on time.
 */
final class LbProcess implements AutoCloseable {

  /** How long to wait for a line or an exit before calling the process hung; not a measure of speed. */
  static final Duration HANG_GUARD = Duration.ofSeconds(60);

  private final Process process;
  final List<String> out = new CopyOnWriteArrayList<>();
  final List<String> err = new CopyOnWriteArrayList<>();
  private final Thread outReader;
  private final Thread errReader;

  private LbProcess(Process process) {
    this.process = process;
    this.outReader = collect(process.getInputStream(), out, "lb-stdout");
    this.errReader = collect(process.getErrorStream(), err, "lb-stderr");
  }

  /**
   * Starts {@code lb ARGS}, prefixed by {@code prefix} (for example {@code prlimit --nofile=64}).
   *
   * @param prefix programs that run the JVM, may be empty
   * @param args the lb command line
   * @return the running process
   * @throws IOException when it cannot start
   */
  static LbProcess start(List<String> prefix, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(prefix);
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.add("--enable-native-access=ALL-UNNAMED");
    String modulePath = System.getProperty("jdk.module.path");
    if (modulePath != null && !modulePath.isEmpty()) {
      cmd.addAll(List.of("--module-path", modulePath, "--add-modules", "ALL-MODULE-PATH"));
      // What surefire left on the class path (jars no module names, such as the Prometheus client
      // that micrometer's automatic module reads) is on the child's class path too.
      String classPath = System.getProperty("java.class.path");
      if (classPath != null && !classPath.isEmpty()) {
        cmd.addAll(List.of("--class-path", classPath));
      }
      cmd.addAll(List.of("-m", "io.github.lb4j.gateway/io.github.lb4j.gateway.cli.Lb"));
    } else {
      cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.github.lb4j.gateway.cli.Lb"));
    }
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().remove("JAVA_TOOL_OPTIONS");
    return new LbProcess(pb.start());
  }

  static LbProcess start(String... args) throws IOException {
    return start(List.of(), args);
  }

  private static Thread collect(InputStream in, List<String> into, String name) {
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          into.add(line);
        }
      } catch (IOException e) {
        // The process ended.
      }
    }, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** Whether the process ended and everything it wrote has been read. */
  private boolean ended() {
    return !process.isAlive() && !outReader.isAlive() && !errReader.isAlive();
  }

  /** Waits for a line on standard output that matches, and returns it. */
  String awaitOut(Predicate<String> line) {
    try {
      await().atMost(HANG_GUARD).until(() -> out.stream().anyMatch(line) || ended());
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError("no such line within " + HANG_GUARD + "; out " + tail(out) + ", err " + tail(err), e);
    }
    return out.stream().filter(line).findFirst()
        .orElseThrow(() -> new AssertionError("lb ended (" + process.exitValue() + ") without the line; out " + tail(out) + ", err "
            + tail(err)));
  }

  private static List<String> tail(List<String> lines) {
    return lines.subList(Math.max(0, lines.size() - 20), lines.size());
  }

  /**
   * Sends SIGTERM. Through the process handle: {@code Process.destroy()} would also close this side
   * of the output pipes, and what the process prints while it stops would be lost.
   */
  void terminate() {
    ProcessHandle.of(process.pid()).ifPresent(ProcessHandle::destroy);
  }

  /** Waits for the process to end and returns its exit status. */
  int awaitExit() throws InterruptedException {
    if (!process.waitFor(HANG_GUARD.toSeconds(), TimeUnit.SECONDS)) {
      throw new AssertionError("lb did not end; out " + tail(out) + ", err " + tail(err));
    }
    // The reader threads may still be draining the pipes.
    await().atMost(HANG_GUARD).until(this::ended);
    return process.exitValue();
  }

  long pid() {
    return process.pid();
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
