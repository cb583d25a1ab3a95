package io.github.lb4j.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Skips a test with a printed reason when the machine cannot run it (no capability, no tool), or
 * fails it instead when {@code LB_REQUIRE_PRIVILEGED=1} (CI). Also runs the shell tools the labs use.
 */
public final class Privileged {

  /** {@code CAP_NET_ADMIN}. */
  public static final int CAP_NET_ADMIN = 12;
  /** {@code CAP_NET_RAW}. */
  public static final int CAP_NET_RAW = 13;
  /** {@code CAP_SYS_ADMIN}. */
  public static final int CAP_SYS_ADMIN = 21;

  private Privileged() {}

  /** Tells whether CI demands that privileged tests run. */
  public static boolean required() {
    return "1".equals(System.getenv("LB_REQUIRE_PRIVILEGED"));
  }

  /** Skips (or fails under CI) unless {@code condition}. */
  public static void assume(boolean condition, String reason) {
    if (condition) {
      return;
    }
    if (required()) {
      Assertions.fail(reason + " (LB_REQUIRE_PRIVILEGED=1 forbids skipping)");
    }
    System.out.println("SKIPPED: " + reason);
    Assumptions.abort(reason);
  }

  /** Skips unless the process has every capability and every command. */
  public static void assumeCapabilities(String what, int... capabilities) {
    for (int c : capabilities) {
      assume(hasCapability(c), what + " needs capability " + c + " (CAP_NET_RAW 13, CAP_NET_ADMIN 12, CAP_SYS_ADMIN 21); run as root");
    }
  }

  /** Skips unless every command is on the PATH. */
  public static void assumeCommands(String what, String... commands) {
    for (String c : commands) {
      assume(hasCommand(c), what + " needs '" + c + "' (apt-get install tcpdump tshark iproute2 nftables fping)");
    }
  }

  /** Tells whether the effective capability set holds {@code capability}. */
  public static boolean hasCapability(int capability) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("CapEff:")) {
          long caps = Long.parseUnsignedLong(line.substring(7).trim(), 16);
          return (caps & (1L << capability)) != 0;
        }
      }
    } catch (IOException | RuntimeException e) {
      return false;
    }
    return false;
  }

  /** Tells whether {@code command} is an executable on the PATH or in /usr/sbin, /sbin. */
  public static boolean hasCommand(String command) {
    List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
    dirs.add("/usr/sbin");
    dirs.add("/sbin");
    for (String d : dirs) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, command))) {
        return true;
      }
    }
    return false;
  }

  /** Runs a command, failing with its output when it exits non-zero; returns stdout and stderr. */
  public static String run(String... command) {
    String out = runQuietly(command);
    if (out.startsWith("exit ")) {
      throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
    }
    return out;
  }

  /** Runs a command and returns its output, prefixed with {@code "exit N: "} when it failed. */
  public static String runQuietly(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return "exit timeout: " + String.join(" ", command);
      }
      String text = new String(out, StandardCharsets.UTF_8);
      return p.exitValue() == 0 ? text : "exit " + p.exitValue() + ": " + text;
    } catch (IOException e) {
      return "exit io: " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "exit interrupted";
    }
  }

  /** Counts this process's open file descriptors. */
  public static int openDescriptors() {
    try (var s = Files.list(Path.of("/proc/self/fd"))) {
      return (int) s.count();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
