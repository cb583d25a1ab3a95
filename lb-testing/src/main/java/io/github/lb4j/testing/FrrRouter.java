package io.github.lb4j.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A real router for namespace labs: FRRouting's {@code zebra} (the kernel's routing table), {@code
 * bfdd} (BFD, RFC 5880) and {@code bgpd} running inside one network namespace, as children of the
 * test's JVM, with their configuration, sockets, pid files and logs in one directory of the test.
 * Routes that bgpd learns are installed in the namespace's kernel table by zebra, as on a real
 * router (ECMP routes as multipath routes), so traffic through the namespace follows them.
 *
 * <p>The daemons drop their privileges to the {@code frr} user (the Debian package's), which must be
 * able to read the configuration and write the directory: {@link #start} makes a directory of its
 * own under the system's temporary directory for them, which {@link #close} deletes. {@link
 * #require} skips or fails the calling test (the rule of {@link Requirements}) when the {@code frr}
 * package is missing. One thread at a time; every method blocks on the processes it runs.
 */
public final class FrrRouter implements AutoCloseable {

  /** Where Debian's {@code frr} package installs the daemons. */
  public static final Path DAEMONS = Path.of("/usr/lib/frr");

  private static final long START_SECONDS = 30;

  private final String namespace;
  private final Path directory;
  private final List<Process> daemons = new ArrayList<>();

  private FrrRouter(String namespace, Path directory) {
    this.namespace = namespace;
    this.directory = directory;
  }

  /**
   * Requires FRR's daemons and {@code vtysh} (skip, or fail under {@code LB_REQUIRE_PRIVILEGED=1}).
   *
   * @param what what needs them, named in the reason
   */
  public static void require(String what) {
    for (String d : List.of("zebra", "bgpd", "bfdd")) {
      Requirements.require(Files.isExecutable(DAEMONS.resolve(d)),
          what + " needs FRR's " + d + " in " + DAEMONS + " (apt-get install -y frr)");
    }
    Requirements.requireCommand(what, "vtysh");
  }

  /**
   * Starts zebra, bfdd and bgpd in {@code namespace} and waits until bgpd listens to its terminal
   * socket (it has read its configuration).
   *
   * @param namespace a namespace made with {@code ip netns add}
   * @param bgpdConfig bgpd's configuration (FRR syntax: {@code router bgp ...})
   * @param bfddConfig bfdd's configuration ({@code bfd} profiles), or empty
   * @return the running router, to close
   * @throws IllegalStateException naming the daemon and its log when one does not start
   */
  public static FrrRouter start(String namespace, String bgpdConfig, String bfddConfig) {
    require("an FRR router");
    Path directory;
    try {
      // not below a test's own temporary directory: the frr user could not reach it (mode 0700)
      directory = Files.createTempDirectory("lb4j-frr-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    FrrRouter r = new FrrRouter(namespace, directory);
    try {
      r.launch(bgpdConfig, bfddConfig);
      return r;
    } catch (RuntimeException e) {
      r.close();
      throw e;
    }
  }

  private void launch(String bgpdConfig, String bfddConfig) {
    try {
      Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxrwxrwx"));
      write("zebra.conf", "hostname " + namespace + "\n");
      write("bfdd.conf", bfddConfig);
      write("bgpd.conf", bgpdConfig);
      try (WatchService watch = FileSystems.getDefault().newWatchService()) {
        directory.register(watch, StandardWatchEventKinds.ENTRY_CREATE);
        daemon("zebra");
        awaitFile(watch, directory.resolve("zserv.api"), "zebra");
        daemon("bfdd", "--bfdctl", directory.resolve("bfdd.sock").toString());
        daemon("bgpd");
        awaitFile(watch, directory.resolve("bgpd.vty"), "bgpd");
        awaitFile(watch, directory.resolve("bfdd.vty"), "bfdd");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void write(String name, String text) throws IOException {
    Path f = directory.resolve(name);
    Files.writeString(f, text);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
  }

  private void daemon(String name, String... extra) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", namespace, DAEMONS.resolve(name).toString(),
        "-u", "frr", "-g", "frr", "-f", directory.resolve(name + ".conf").toString(),
        "-i", directory.resolve(name + ".pid").toString(), "-z", directory.resolve("zserv.api").toString(),
        "--vty_socket", directory.toString(), "-P", "0", "--log", "file:" + directory.resolve(name + ".log")));
    cmd.addAll(List.of(extra));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(directory.resolve(name + ".out").toFile()).start();
    daemons.add(p);
  }

  /** Waits for a daemon's socket by inotify, not by polling; fails when the daemon exits or time is up. */
  private void awaitFile(WatchService watch, Path file, String daemon) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_SECONDS);
    while (!Files.exists(file)) {
      for (Process p : daemons) {
        if (!p.isAlive()) {
          throw new IllegalStateException("FRR's " + daemon + " exited with " + p.exitValue() + " in " + namespace + ": " + logs());
        }
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new IllegalStateException("FRR's " + daemon + " did not create " + file + " within " + START_SECONDS + " s: " + logs());
      }
      try {
        // Wakes on any file created in the directory, at the latest every 200 ms to notice an exit.
        WatchKey key = watch.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)), TimeUnit.NANOSECONDS);
        if (key != null) {
          key.pollEvents();
          key.reset();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while FRR's " + daemon + " started", e);
      } catch (ClosedWatchServiceException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /**
   * Returns the namespace the router runs in.
   *
   * @return its name
   */
  public String namespace() {
    return namespace;
  }

  /**
   * Runs {@code vtysh} commands against this router's daemons, for example {@code show bgp summary}.
   *
   * @param commands one or more commands, each run as {@code -c COMMAND}
   * @return their output
   * @throws IllegalStateException when vtysh exits non-zero
   */
  public String vtysh(String... commands) {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", namespace, "vtysh", "--vty_socket", directory.toString()));
    for (String c : commands) {
      cmd.add("-c");
      cmd.add(c);
    }
    return Shell.run(cmd.toArray(String[]::new));
  }

  /**
   * Returns the next hops of a prefix in the namespace's kernel routing table (what zebra installed):
   * one for a single path, several for an ECMP route, none when the prefix is absent.
   *
   * @param prefix for example {@code 198.51.100.100} or {@code 2001:db8:5::100}
   * @return the next-hop addresses, in the kernel's order
   */
  public Set<String> nextHops(String prefix) {
    String out = Shell.run("ip", "-n", namespace, prefix.contains(":") ? "-6" : "-4", "route", "show", "exact", prefix);
    Set<String> hops = new LinkedHashSet<>();
    String[] words = out.split("\\s+");
    for (int i = 0; i + 1 < words.length; i++) {
      if (words[i].equals("via")) {
        hops.add(words[i + 1]);
      }
    }
    return hops;
  }

  /**
   * Returns the daemons' logs, for failure messages.
   *
   * @return every log and output file of the directory, each under its name
   */
  public String logs() {
    StringBuilder sb = new StringBuilder();
    for (String d : List.of("zebra", "bfdd", "bgpd")) {
      for (String suffix : List.of(".log", ".out")) {
        Path f = directory.resolve(d + suffix);
        @Nullable String text = read(f);
        if (text != null && !text.isBlank()) {
          sb.append("\n--- ").append(f.getFileName()).append('\n').append(text.strip());
        }
      }
    }
    return sb.toString();
  }

  private static @Nullable String read(Path f) {
    try {
      return Files.exists(f) ? Files.readString(f) : null;
    } catch (IOException e) {
      return null;
    }
  }

  /** Stops the daemons (SIGTERM, then SIGKILL after 5 s), waits for them and deletes the directory. Idempotent. */
  @Override
  public void close() {
    for (Process p : daemons) {
      p.destroy();
    }
    for (Process p : daemons) {
      try {
        if (!p.waitFor(5, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          p.waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    daemons.clear();
    try (var files = Files.walk(directory)) {
      for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(f);
      }
    } catch (IOException e) {
      // best effort: a leftover directory under /tmp harms nothing
    }
  }
}
