package io.github.lb4j.announce;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link VipAnnouncer} that runs a speaker daemon as its child and drives it from one thread of
 * its own: the thread starts the speaker (tied to it by a parent-death signal, see {@link
 * Executables#tiedToThisProcess}), applies the wanted state, polls the sessions twice a second, and
 * restarts a speaker that died (after 1 s, doubling to 10 s), announcing again what was wanted.
 */
final class SpeakerAnnouncer implements VipAnnouncer {

  private static final Logger LOG = LoggerFactory.getLogger(SpeakerAnnouncer.class);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(15);
  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

  private final BgpConfig config;
  private final SpeakerDriver driver;
  private final Path directory;
  private final Path log;
  private final Thread thread;
  private final Object lock = new Object();

  // Guarded by lock.
  private boolean wanted;
  private boolean applied;
  private boolean closing;
  private boolean stopped;
  private boolean running;
  private int established;
  private long restarts;
  private @Nullable String lastError;

  // Announcer thread only.
  private @Nullable Process process;

  SpeakerAnnouncer(BgpConfig config, SpeakerDriver driver, Path directory) {
    this.config = config;
    this.driver = driver;
    this.directory = directory;
    this.log = directory.resolve(driver.name() + ".log");
    this.thread = new Thread(this::run, "lb-announce-" + driver.name());
    // A daemon thread: an embedding application that exits without close() takes the speaker
    // with it through the parent-death signal instead of hanging.
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  @Override
  public void serving(boolean canServe) {
    synchronized (lock) {
      if (wanted != canServe) {
        wanted = canServe;
        lock.notifyAll();
      }
    }
  }

  @Override
  public boolean awaitApplied(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (!(running && applied == wanted) && !stopped) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(lock, left);
      }
      return running && applied == wanted;
    }
  }

  @Override
  public AnnouncerStatus status() {
    synchronized (lock) {
      return new AnnouncerStatus(driver.name(), wanted, applied && running, running, established, config.peers().size(),
          restarts, lastError);
    }
  }

  @Override
  public void close() {
    synchronized (lock) {
      closing = true;
      wanted = false;
      lock.notifyAll();
    }
    try {
      thread.join(TimeUnit.SECONDS.toMillis(15));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "VipAnnouncer[" + config + ", " + status() + "]";
  }

  // ---------------------------------------------------------------- the announcer's thread

  private void run() {
    long backoff = TimeUnit.SECONDS.toNanos(1);
    long nextPoll = 0;
    try {
      while (!isClosing()) {
        Process p = process;
        if (p == null || !p.isAlive()) {
          if (p != null) {
            died(p);
            if (!pause(backoff)) {
              break;
            }
            backoff = Math.min(backoff * 2, TimeUnit.SECONDS.toNanos(10));
          }
          if (!launch()) {
            continue;
          }
          backoff = TimeUnit.SECONDS.toNanos(1);
        }
        boolean want;
        synchronized (lock) {
          want = wanted;
        }
        try {
          if (want != appliedNow()) {
            driver.announce(want);
            LOG.info("{} {} {}", driver.name(), want ? "announced" : "withdrew", config.vips());
            synchronized (lock) {
              applied = want;
              lock.notifyAll();
            }
          }
          long now = System.nanoTime();
          if (now - nextPoll >= 0) {
            nextPoll = now + POLL_NANOS;
            int up = driver.established();
            synchronized (lock) {
              established = up;
            }
          }
        } catch (IOException e) {
          error(driver.name() + ": " + e.getMessage());
          // the process check above decides whether the speaker is gone; else retry after a pause
          if (!pause(TimeUnit.MILLISECONDS.toNanos(200))) {
            break;
          }
          continue;
        }
        synchronized (lock) {
          if (!closing && wanted == applied) {
            TimeUnit.NANOSECONDS.timedWait(lock, Math.max(1, Math.min(POLL_NANOS, nextPoll - System.nanoTime())));
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      shutDown();
    }
  }

  private boolean isClosing() {
    synchronized (lock) {
      return closing;
    }
  }

  private boolean appliedNow() {
    synchronized (lock) {
      return applied;
    }
  }

  /** Waits up to {@code nanos} unless closing; false when closing. */
  private boolean pause(long nanos) throws InterruptedException {
    long deadline = System.nanoTime() + nanos;
    synchronized (lock) {
      while (!closing) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return true;
        }
        TimeUnit.NANOSECONDS.timedWait(lock, left);
      }
      return false;
    }
  }

  private boolean launch() {
    try {
      Files.createDirectories(directory);
      List<String> command = Executables.tiedToThisProcess(driver.prepare(directory));
      Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .directory(directory.toFile()).start();
      process = p;
      driver.connect(p, START_TIMEOUT);
      LOG.info("{} started (pid {}): {}", driver.name(), p.pid(), config);
      synchronized (lock) {
        running = true;
        applied = false;
        lastError = null;
        lock.notifyAll();
      }
      return true;
    } catch (IOException e) {
      error("cannot start " + driver.name() + ": " + e.getMessage() + tailOfLog());
      Process p = process;
      if (p != null) {
        stop(p);
      }
      process = null;
      try {
        pause(TimeUnit.SECONDS.toNanos(2));
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        synchronized (lock) {
          closing = true;
        }
      }
      return false;
    }
  }

  private void died(Process p) {
    driver.disconnect();
    process = null;
    synchronized (lock) {
      running = false;
      applied = false;
      established = 0;
      restarts++;
      lock.notifyAll();
    }
    error(driver.name() + " exited with status " + p.exitValue() + tailOfLog());
  }

  private void error(String message) {
    LOG.warn(message);
    synchronized (lock) {
      lastError = message;
    }
  }

  private String tailOfLog() {
    String t = Executables.tail(log, 5);
    return t.isEmpty() ? "" : " (" + log + ": " + t + ")";
  }

  /** Withdraws, stops the speaker (SIGTERM: BIRD and GoBGP send a Cease to every peer), marks stopped. */
  private void shutDown() {
    Process p = process;
    if (p != null && p.isAlive()) {
      try {
        if (appliedNow()) {
          driver.announce(false);
          LOG.info("{} withdrew {}", driver.name(), config.vips());
        }
      } catch (IOException e) {
        LOG.warn("{}: withdrawing on close: {}", driver.name(), e.getMessage());
      }
    }
    driver.disconnect();
    if (p != null) {
      stop(p);
    }
    process = null;
    synchronized (lock) {
      applied = false;
      running = false;
      established = 0;
      stopped = true;
      lock.notifyAll();
    }
  }

  private static void stop(Process p) {
    p.destroy();
    try {
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
    }
  }

  /** Where the speaker's configuration, socket and log are. */
  Path directory() {
    return directory;
  }
}
