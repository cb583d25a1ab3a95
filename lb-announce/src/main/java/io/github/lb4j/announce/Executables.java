package io.github.lb4j.announce;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/** Finding the speakers' programs, tying their life to this process, running short commands. Any thread. */
final class Executables {

  private static volatile @Nullable Boolean pdeathsig;

  private Executables() {}

  /** Finds a program on the PATH, then in /usr/sbin and /sbin (where bird lives). */
  static Optional<Path> find(String name) {
    List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
    dirs.add("/usr/sbin");
    dirs.add("/sbin");
    for (String d : dirs) {
      if (!d.isEmpty()) {
        Path p = Path.of(d, name);
        if (Files.isExecutable(p)) {
          return Optional.of(p);
        }
      }
    }
    return Optional.empty();
  }

  /** The program, or an error naming the Debian package that provides it. */
  static Path require(@Nullable Path configured, String name, String debianPackage) throws IOException {
    if (configured != null) {
      if (!Files.isExecutable(configured)) {
        throw new IOException(configured + " is not an executable file");
      }
      return configured;
    }
    return find(name).orElseThrow(() -> new IOException("'" + name + "' is not installed (apt-get install -y " + debianPackage + ")"));
  }

  /**
   * Prefixes a command so that the kernel sends it SIGTERM when the thread that starts it dies
   * (prctl PR_SET_PDEATHSIG through util-linux's setpriv): a balancer killed with SIGKILL takes its
   * speaker with it, whose sessions then close and whose routes the peers withdraw at once. The
   * signal follows the starting thread, so the announcer starts the speaker from its own thread,
   * which lives as long as the speaker. Without setpriv the command runs as it is.
   */
  static List<String> tiedToThisProcess(List<String> command) {
    Optional<Path> setpriv = find("setpriv");
    if (setpriv.isEmpty() || !supportsPdeathsig(setpriv.get())) {
      return command;
    }
    List<String> all = new ArrayList<>(List.of(setpriv.get().toString(), "--pdeathsig", "TERM", "--"));
    all.addAll(command);
    return all;
  }

  /** Whether the tie is available, for the status and the docs. */
  static boolean canTie() {
    Optional<Path> setpriv = find("setpriv");
    return setpriv.isPresent() && supportsPdeathsig(setpriv.get());
  }

  private static boolean supportsPdeathsig(Path setpriv) {
    Boolean known = pdeathsig;
    if (known == null) {
      try {
        Process p = new ProcessBuilder(setpriv.toString(), "--help").redirectErrorStream(true).start();
        String help = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(5, TimeUnit.SECONDS);
        known = help.contains("--pdeathsig");
      } catch (IOException e) {
        known = false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        known = false;
      }
      pdeathsig = known;
    }
    return known;
  }

  /** Runs a short command, output and errors merged; returns its output or throws naming its status. */
  static String run(List<String> command, Duration timeout) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish within " + timeout.toMillis() + " ms");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new IOException("interrupted while running " + String.join(" ", command), e);
    }
    String text = new String(out, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + ": " + text.strip());
    }
    return text;
  }

  /**
   * Waits (by inotify on its directory, not by polling) until {@code file} exists; fails when the
   * process exits first or time is up.
   */
  static void awaitFile(Path file, Process process, Duration timeout, String what) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (WatchService watch = FileSystems.getDefault().newWatchService()) {
      file.getParent().register(watch, StandardWatchEventKinds.ENTRY_CREATE);
      while (!Files.exists(file)) {
        if (!process.isAlive()) {
          throw new IOException(what + " exited with status " + process.exitValue() + " before creating " + file);
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IOException(what + " did not create " + file + " within " + timeout.toMillis() + " ms");
        }
        // Wakes on any file created there; at least every 100 ms, to notice that the process exited.
        WatchKey key = watch.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)), TimeUnit.NANOSECONDS);
        if (key != null) {
          key.pollEvents();
          key.reset();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for " + file, e);
    } catch (ClosedWatchServiceException e) {
      throw new IOException(e);
    }
  }

  /** The last lines of a log, for error messages. */
  static String tail(Path log, int lines) {
    try {
      if (!Files.exists(log)) {
        return "";
      }
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join(" | ", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }
}
