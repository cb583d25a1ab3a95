package io.github.lb4j.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the shell tools of the labs ({@code ip}, {@code nft}, {@code tshark}, ...) as child
 * processes, output and errors merged. Blocks until the command ends (at most 60 s); any thread.
 */
public final class Shell {

  private static final long TIMEOUT_SECONDS = 60;

  private Shell() {}

  /**
   * What a command did.
   *
   * @param command the command line, for messages
   * @param exitCode its exit status; -1 when it could not start or timed out
   * @param output standard output and standard error, merged
   */
  public record Result(List<String> command, int exitCode, String output) {

    /**
     * Tells whether the command exited with status 0.
     *
     * @return whether it succeeded
     */
    public boolean ok() {
      return exitCode == 0;
    }
  }

  /**
   * Runs a command and returns its output; fails when it exits non-zero.
   *
   * @param command the program and its arguments
   * @return standard output and standard error, merged
   * @throws IllegalStateException naming the command, its status and output when it fails
   */
  public static String run(String... command) {
    Result r = attempt(command);
    if (!r.ok()) {
      throw new IllegalStateException(String.join(" ", command) + " exited " + r.exitCode() + ": " + r.output().strip());
    }
    return r.output();
  }

  /**
   * Runs a command and reports what it did, whatever its status.
   *
   * @param command the program and its arguments
   * @return the result
   */
  public static Result attempt(String... command) {
    List<String> cmd = List.of(command);
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      p.getOutputStream().close();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Result(cmd, -1, "timed out after " + TIMEOUT_SECONDS + " s");
      }
      return new Result(cmd, p.exitValue(), new String(out, StandardCharsets.UTF_8));
    } catch (IOException e) {
      return new Result(cmd, -1, "cannot start: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UncheckedIOException(new IOException("interrupted while running " + cmd, e));
    }
  }
}
