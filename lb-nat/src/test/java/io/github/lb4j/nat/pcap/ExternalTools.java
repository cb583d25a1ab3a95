package io.github.lb4j.nat.pcap;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds external tools for the independent-decoder tests: skips with a printed reason when a tool is
 * missing, and fails instead when {@code LB_REQUIRE_PRIVILEGED=1} (CI).
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
    String path = System.getenv("PATH");
    if (path != null) {
      for (String dir : path.split(File.pathSeparator)) {
        File f = new File(dir, tool);
        if (f.canExecute()) {
          return f.getPath();
        }
      }
    }
    String reason = tool + " is not installed (Debian package " + tool + "); the independent-decoder check cannot run";
    if ("1".equals(System.getenv("LB_REQUIRE_PRIVILEGED"))) {
      fail(reason + " and LB_REQUIRE_PRIVILEGED=1");
    }
    System.out.println("SKIPPED: " + reason);
    Assumptions.abort(reason);
    return tool;
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
