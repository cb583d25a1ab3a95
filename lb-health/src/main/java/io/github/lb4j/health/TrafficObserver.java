package io.github.lb4j.health;

import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * HAProxy's health adjusting from live traffic ({@code observe layer4|layer7}, {@code error-limit},
 * {@code on-error}; configuration manual 5.2, and {@code __health_adjust} in {@code src/check.c}):
 * counts each backend's consecutive traffic errors and, when {@code errorLimit} (default 10) is
 * reached, resets the count and returns the {@link Action} that the backend's active health check
 * must take. Whoever owns the {@link HealthMonitor} (the pool) applies it.
 *
 * <p>Which events count, as HAProxy's {@code analyze_statuses} table:
 * <table>
 *   <caption>events per mode</caption>
 *   <tr><th>event</th><th>layer4</th><th>layer7</th></tr>
 *   <tr><td>{@link Event#L4_OK} (connection established)</td><td>success</td><td>ignored</td></tr>
 *   <tr><td>{@link Event#L4_ERROR} (connection failed)</td><td>error</td><td>error</td></tr>
 *   <tr><td>{@link Event#HTTP_OK} (status 100-499, 501, 505)</td><td>ignored</td><td>success</td></tr>
 *   <tr><td>other HTTP events (wrong status, bad headers or response, read error or timeout,
 *       close from the server)</td><td>ignored</td><td>error</td></tr>
 * </table>
 * A success clears the count, as does a passed health check ({@link #checkPassed}).
 *
 * <p>Threads: every method may be called from any thread; {@link #record} is lock-free and
 * allocates only the first time a backend is seen; nothing blocks.
 */
public final class TrafficObserver {

  /** HAProxy's {@code observe} modes. */
  public enum Mode {
    /** Only connection outcomes count. */
    LAYER4,
    /** HTTP answers count, and connection failures. */
    LAYER7
  }

  /** One observed outcome of live traffic (HAProxy's {@code HANA_STATUS_*}). */
  public enum Event {
    /** A connection to the backend was established. */
    L4_OK,
    /** A connection to the backend failed. */
    L4_ERROR,
    /** A correct HTTP answer: status 100 to 499, 501 or 505. */
    HTTP_OK,
    /** A wrong HTTP status: 500, 502 to 504, or 506 and above. */
    HTTP_BAD_STATUS,
    /** Unparsable response headers. */
    HTTP_BAD_HEADERS,
    /** An invalid response. */
    HTTP_BAD_RESPONSE,
    /** A read error while waiting for the response. */
    HTTP_READ_ERROR,
    /** No response within the timeout. */
    HTTP_READ_TIMEOUT,
    /** The server closed before answering. */
    HTTP_BROKEN_PIPE
  }

  /**
   * What the active health check of a backend must do ({@code on-error}). Every action but
   * {@link #NONE} also switches the check to its fast interval ({@code fastinter}) for the next
   * check.
   */
  public enum Action {
    /** Nothing: the error limit was not reached, or the event does not count. */
    NONE,
    /** Only check again soon ({@code fastinter}). */
    FASTINTER,
    /** Count one failed check ({@code fail-check}, HAProxy's default). */
    FAIL_CHECK,
    /** Count a failed check and leave the backend one failure from down ({@code sudden-death}). */
    SUDDEN_DEATH,
    /** Mark the backend down at once ({@code mark-down}). */
    MARK_DOWN;

    /**
     * Returns the consecutive failed checks of a backend that is up after this action, for a
     * monitor that marks it down at {@code fall} failures (HAProxy's health counter, translated
     * to {@link HealthMonitor}'s rise/fall counts): unchanged for {@code NONE} and {@code
     * FASTINTER}, one more for {@code FAIL_CHECK}, at least {@code fall - 1} after one more for
     * {@code SUDDEN_DEATH}, {@code fall} for {@code MARK_DOWN}.
     *
     * @param failures the consecutive failed checks before, 0 or more
     * @param fall the failures that mark the backend down, 1 or more
     * @return the failures after; {@code >= fall} means down
     */
    public int failuresAfter(int failures, int fall) {
      switch (this) {
        case FAIL_CHECK:
          return failures + 1;
        case SUDDEN_DEATH:
          return Math.max(failures + 1, fall - 1);
        case MARK_DOWN:
          return Math.max(failures, fall);
        default:
          return failures;
      }
    }

    /**
     * Returns whether the next check must run at the fast interval.
     *
     * @return true for every action but {@link #NONE}
     */
    public boolean forcesFastInterval() {
      return this != NONE;
    }
  }

  private final Mode mode;
  private final int errorLimit;
  private final Action onError;
  private final ConcurrentHashMap<String, AtomicInteger> errors = new ConcurrentHashMap<>();

  private TrafficObserver(Mode mode, int errorLimit, Action onError) {
    this.mode = mode;
    this.errorLimit = errorLimit;
    this.onError = onError;
  }

  /**
   * Creates an observer.
   *
   * @param mode {@code layer4} or {@code layer7}
   * @param errorLimit the consecutive errors that trigger {@code onError}, 1 or more (HAProxy's
   *     default is 10)
   * @param onError the action, not {@link Action#NONE} (HAProxy's default is {@link
   *     Action#FAIL_CHECK})
   * @return the observer
   * @throws IllegalArgumentException naming the value when one is out of range
   */
  public static TrafficObserver of(Mode mode, int errorLimit, Action onError) {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(onError, "onError");
    if (errorLimit < 1) {
      throw new IllegalArgumentException("errorLimit must be 1 or more, was " + errorLimit);
    }
    if (onError == Action.NONE) {
      throw new IllegalArgumentException("onError must be fastinter, fail-check, sudden-death or mark-down, was NONE");
    }
    return new TrafficObserver(mode, errorLimit, onError);
  }

  /**
   * Creates an observer with HAProxy's defaults: {@code error-limit 10}, {@code on-error fail-check}.
   *
   * @param mode {@code layer4} or {@code layer7}
   * @return the observer
   */
  public static TrafficObserver of(Mode mode) {
    return of(mode, 10, Action.FAIL_CHECK);
  }

  /**
   * Parses HAProxy's spelling of an {@code on-error} mode.
   *
   * @param haproxyName {@code fastinter}, {@code fail-check}, {@code sudden-death} or {@code mark-down}
   * @return the action
   * @throws IllegalArgumentException naming the value when it is none of those
   */
  public static Action onError(String haproxyName) {
    switch (Objects.requireNonNull(haproxyName, "haproxyName").trim()) {
      case "fastinter":
        return Action.FASTINTER;
      case "fail-check":
        return Action.FAIL_CHECK;
      case "sudden-death":
        return Action.SUDDEN_DEATH;
      case "mark-down":
        return Action.MARK_DOWN;
      default:
        throw new IllegalArgumentException("on-error must be fastinter, fail-check, sudden-death or mark-down, was '" + haproxyName + "'");
    }
  }

  /**
   * Records one event of a backend's live traffic.
   *
   * @param backendId the backend
   * @param event what happened
   * @return the action to take now: {@link Action#NONE} unless this event completes a run of
   *     {@code errorLimit} errors, which it then resets
   */
  public Action record(String backendId, Event event) {
    Objects.requireNonNull(event, "event");
    int verdict = verdict(event);
    if (verdict == IGNORED) {
      return Action.NONE;
    }
    AtomicInteger count = errors.get(backendId);
    if (count == null) {
      count = errors.computeIfAbsent(backendId, id -> new AtomicInteger());
    }
    if (verdict == SUCCESS) {
      count.set(0);
      return Action.NONE;
    }
    int n = count.incrementAndGet();
    // Exactly one of racing threads wins the reset, so a run triggers one action.
    if (n < errorLimit || !count.compareAndSet(n, 0)) {
      return Action.NONE;
    }
    return onError;
  }

  /**
   * Records the status of one HTTP answer: 100 to 499, 501 and 505 are correct (HAProxy), the
   * rest are wrong.
   *
   * @param backendId the backend
   * @param status the HTTP status code
   * @return the action to take now
   */
  public Action recordHttpStatus(String backendId, int status) {
    boolean ok = status >= 100 && status <= 499 || status == 501 || status == 505;
    return record(backendId, ok ? Event.HTTP_OK : Event.HTTP_BAD_STATUS);
  }

  /**
   * Clears a backend's count after a passed health check, as HAProxy does.
   *
   * @param backendId the backend
   */
  public void checkPassed(String backendId) {
    AtomicInteger count = errors.get(backendId);
    if (count != null) {
      count.set(0);
    }
  }

  /**
   * Forgets a backend.
   *
   * @param backendId the backend
   */
  public void remove(String backendId) {
    errors.remove(backendId);
  }

  /**
   * Returns a backend's consecutive errors so far.
   *
   * @param backendId the backend
   * @return 0 or more
   */
  public int consecutiveErrors(String backendId) {
    AtomicInteger count = errors.get(backendId);
    return count == null ? 0 : count.get();
  }

  /**
   * Returns the mode.
   *
   * @return {@code layer4} or {@code layer7}
   */
  public Mode mode() {
    return mode;
  }

  private static final int IGNORED = 0;
  private static final int ERROR = 1;
  private static final int SUCCESS = 2;

  /** HAProxy's analyze_statuses: 0 ignore, 1 error, 2 success, per mode. */
  private int verdict(Event e) {
    switch (e) {
      case L4_OK:
        return mode == Mode.LAYER4 ? SUCCESS : IGNORED;
      case L4_ERROR:
        return ERROR;
      case HTTP_OK:
        return mode == Mode.LAYER7 ? SUCCESS : IGNORED;
      default:
        return mode == Mode.LAYER7 ? ERROR : IGNORED;
    }
  }

  @Override
  public String toString() {
    return "TrafficObserver{observe " + mode.name().toLowerCase(java.util.Locale.ROOT) + ", error-limit " + errorLimit
        + ", on-error " + onError + "}";
  }
}
