package io.github.lb4j.nat.pcap;

import static org.junit.jupiter.api.Assertions.fail;

import io.github.lb4j.testing.Requirements;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Finds and runs external tools for the independent-decoder tests: a missing tool skips the test
 * with a printed reason, or fails it when {@code LB_REQUIRE_PRIVILEGED=1} (CI), through lb-testing's
 * {@link Requirements}.
 */
public final class ExternalTools {

  private ExternalTools() {}

  /**
   * Returns the path of a tool on PATH, or skips/fails the test.
   *
   * @param tool the executable name
   * @return its path
   */
  public static String require(String tool) {
    return Requirements.requireCommand("the independent-decoder check", tool).toString();
  }

  /**
   * Runs a command and returns its standard output lines; fails on a non-zero exit.
   *
   * @param command the command
   * @return stdout lines
   * @throws IOException when it cannot start
   * @throws InterruptedException when interrupted
   */
  public static List<String> run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
    byte[] out = p.getInputStream().readAllBytes();
    byte[] err = p.getErrorStream().readAllBytes();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("timed out: " + command);
    }
    if (p.exitValue() != 0) {
      fail(command + " exited " + p.exitValue() + ": " + new String(err, StandardCharsets.UTF_8));
    }
    List<String> lines = new ArrayList<>();
    for (String l : new String(out, StandardCharsets.UTF_8).split("\n")) {
      if (!l.isEmpty()) {
        lines.add(l);
      }
    }
    return lines;
  }
}
