package io.github.lb4j.discovery;

import io.github.lb4j.api.Backend;
import io.github.lb4j.pool.MembershipSink;
import io.github.lb4j.pool.MembershipSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pool's membership from a file of backends, reloaded when the file changes.
 *
 * <pre>
 * # ID (optional)  ADDRESS:PORT          options
 * web-1            192.0.2.10:8080       weight=3 zone=eu-west-1a
 * web-2            192.0.2.11:8080       weight=1 priority=1 label.canary=true
 *                  [2001:db8::12]:8080
 * </pre>
 *
 * <p>One backend per line: an optional id (without it the id is {@code ADDRESS:PORT}), an IP
 * literal and port ({@code [...]} around IPv6), then {@code weight=} (0 to 65535, 0 drains),
 * {@code priority=} (0, the default, serves first), {@code zone=} and {@code label.KEY=VALUE}; a
 * {@code #} starts a comment. Names are refused: DNS names belong in a {@link DnsMembership}.
 *
 * <p><b>Bad files keep the last good set.</b> The file is parsed whole before anything is pushed. A
 * line that does not parse, an id given twice, a file with no backend, or a file that cannot be read
 * is rejected with an error naming the file and the line; the pool keeps the last good membership,
 * the error is logged (WARN) and shown by {@link #status()}, and the next change of the file is
 * tried again. {@link #watch} parses the file once at once, so a file that is bad from the start
 * fails there, before a pool is built. Write the file atomically (write a temporary file, rename
 * it over) so that no half-written state is ever read; an editor's in-place save is caught by the
 * next event.
 *
 * <p><b>Threads.</b> {@link #start} pushes the first membership on the caller's thread and starts one
 * daemon thread that waits for changes of the file's directory ({@link WatchService}: inotify on
 * Linux); {@link #close} stops and joins it. {@link #status()} and {@link #reload()} may be called
 * from any thread.
 */
public final class FileMembership implements MembershipSource {

  private static final Logger LOG = LoggerFactory.getLogger(FileMembership.class);

  /**
   * The state of a file source at one moment. Immutable; any thread.
   *
   * @param backends the membership last pushed (the last good file)
   * @param lastError why the last reload was rejected, {@code null} when it was accepted
   * @param loads files read so far, accepted or not
   */
  public record Status(List<Backend> backends, @Nullable String lastError, long loads) {

    /**
     * Copies the list.
     *
     * @throws NullPointerException when {@code backends} is null
     */
    public Status {
      backends = List.copyOf(backends);
    }
  }

  private final Path file;
  private volatile Status status;

  // Guarded by this.
  private @Nullable MembershipSink sink;
  private @Nullable WatchService watcher;
  private @Nullable Thread thread;
  private boolean closed;

  private FileMembership(Path file, List<Backend> first) {
    this.file = file;
    this.status = new Status(first, null, 1);
  }

  /**
   * Reads and checks the file now, and returns a source that pushes it and its later versions.
   *
   * @param file the file
   * @return the source, not started
   * @throws IllegalArgumentException naming the file and line when the file is bad
   * @throws UncheckedIOException when the file cannot be read
   */
  public static FileMembership watch(Path file) {
    Path f = Objects.requireNonNull(file, "file").toAbsolutePath().normalize();
    try {
      return new FileMembership(f, BackendFile.parse(f, Files.readString(f, StandardCharsets.UTF_8)));
    } catch (BackendFile.BadFileException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read backend file " + f + ": " + e, e);
    }
  }

  @Override
  public void start(MembershipSink sink) {
    Objects.requireNonNull(sink, "sink");
    synchronized (this) {
      if (this.sink != null) {
        throw new IllegalStateException("the backend file " + file + " already feeds a pool");
      }
      if (closed) {
        return;
      }
      this.sink = sink;
      sink.set(status.backends());
      try {
        WatchService w = file.getFileSystem().newWatchService();
        file.getParent().register(w, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
            StandardWatchEventKinds.ENTRY_DELETE);
        watcher = w;
        Thread t = new Thread(() -> watchLoop(w), "lb-file " + file.getFileName());
        t.setDaemon(true);
        thread = t;
        t.start();
      } catch (IOException e) {
        LOG.warn("{}: cannot watch the directory ({}); the membership stays as read, reload() reads it again", file, e.toString());
      }
    }
  }

  private void watchLoop(WatchService w) {
    Path name = file.getFileName();
    try {
      for (;;) {
        WatchKey key = w.take();
        boolean ours = false;
        for (var event : key.pollEvents()) {
          Object context = event.context();
          // OVERFLOW has no context: events were lost, so read the file in case it was among them.
          ours |= context == null || name.equals(context);
        }
        key.reset();
        if (ours) {
          reload();
        }
      }
    } catch (InterruptedException | ClosedWatchServiceException e) {
      // close() ends the loop.
    }
  }

  /**
   * Reads the file again and pushes it when it is good and differs from the last good one; a bad
   * file is rejected as described above. Any thread; blocks for the read.
   *
   * @return whether the file was accepted (changed or not)
   */
  public synchronized boolean reload() {
    Status before = status;
    if (closed) {
      return false;
    }
    List<Backend> next;
    try {
      next = BackendFile.parse(file, Files.readString(file, StandardCharsets.UTF_8));
    } catch (BackendFile.BadFileException e) {
      return reject(before, e.getMessage());
    } catch (NoSuchFileException e) {
      return reject(before, file + ": the file is gone");
    } catch (IOException e) {
      return reject(before, file + ": cannot read it: " + e);
    }
    MembershipSink s = sink;
    if (!next.equals(before.backends())) {
      if (s != null) {
        s.set(next);
      }
      LOG.info("{}: {} backends", file, next.size());
    } else if (before.lastError() != null) {
      LOG.info("{}: good again, unchanged", file);
    }
    status = new Status(next, null, before.loads() + 1);
    return true;
  }

  private boolean reject(Status before, @Nullable String error) {
    String e = error == null ? file + ": rejected" : error;
    if (!e.equals(before.lastError())) {
      LOG.warn("{}; keeping the last good membership of {} backends", e, before.backends().size());
    }
    status = new Status(before.backends(), e, before.loads() + 1);
    return false;
  }

  /**
   * Returns the membership pushed last and the last error. Any thread; never blocks.
   *
   * @return the status
   */
  public Status status() {
    return status;
  }

  /** Stops watching and joins the watching thread; the pool keeps its last membership. Idempotent. */
  @Override
  public void close() {
    Thread t;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      t = thread;
      WatchService w = watcher;
      if (w != null) {
        try {
          w.close();
        } catch (IOException e) {
          LOG.debug("closing the watch of {}", file, e);
        }
      }
    }
    if (t != null && t != Thread.currentThread()) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public String toString() {
    return "FileMembership{" + file + "}";
  }
}
