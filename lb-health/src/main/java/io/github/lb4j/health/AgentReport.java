package io.github.lb4j.health;

import io.github.lb4j.api.HealthReason;
import io.github.lb4j.api.HealthResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import org.jspecify.annotations.Nullable;

/**
 * What a backend's agent said in one HAProxy agent check, typed, for a pool to apply: a weight
 * (relative to the backend's configured weight, or absolute), a connection limit, an
 * administrative state and an operational state, plus the {@link HealthResult} of the check.
 *
 * <p>The grammar is HAProxy's (configuration manual, "agent-check"; {@code
 * tcpcheck_agent_expect_reply} in {@code src/tcpcheck.c}): one ASCII line ended by the first CR or
 * LF, made of words separated by spaces, tabs or commas, in any order, case-insensitive, the last
 * word of each kind winning:
 * <ul>
 *   <li>{@code 75%}: weight relative to the configured weight (the legacy form);
 *   <li>{@code weight:75%} relative, or {@code weight:N} absolute, N in 0..256;
 *   <li>{@code maxconn:N}: the backend's connection limit;
 *   <li>{@code ready}, {@code drain}, {@code maint}: administrative state (ready cancels drain
 *       and maint; drain takes no new connections but persistent ones; maint takes none and
 *       stops health checks);
 *   <li>{@code up}, {@code down}, {@code fail}, {@code stopped}: operational state, optionally
 *       followed by {@code #} and a description to the end of the line.
 * </ul>
 * Words the agent does not send leave the backend as it is. A word lb4j cannot read (unknown, or a
 * weight or limit out of range or with trailing garbage) is ignored, as HAProxy ignores it, and
 * named in {@link #problems()}; the other words still count.
 *
 * <p>The check's {@link #result()} is unhealthy ({@link HealthReason#UNEXPECTED_STATUS}) when the
 * agent says down, fail or stopped, {@link HealthReason#PROTOCOL_ERROR} when the answer is not a
 * usable line (incomplete, too long, a NUL byte, or words of which none could be read), the
 * connection failure otherwise when there was no answer, and healthy in every other case. HAProxy
 * does not count an unreachable agent as a failure of the backend (the regular check tests
 * connectivity); a pool following it ignores results without {@link #answered() an answer}.
 *
 * <p>Immutable; any thread. {@link #parse} allocates; accessors allocate only their {@code
 * Optional}; nothing blocks.
 */
public final class AgentReport {

  /** The administrative state the agent asks for. */
  public enum AdminState {
    /** Back in the farm: cancels drain and maint. */
    READY,
    /** No new connections, except persistent ones (lb4j: weight 0). */
    DRAIN,
    /** No connections at all, and no health checks (maintenance). */
    MAINT
  }

  /** The operational state the agent reports. */
  public enum OperationalState {
    /** Up again, if the health checks agree. */
    UP,
    /** Down: for example a missing process. */
    DOWN,
    /** Down: running but failing its own validity tests. */
    FAIL,
    /** Down on purpose. */
    STOPPED
  }

  /** HAProxy's largest absolute weight. */
  public static final int MAX_ABSOLUTE_WEIGHT = 256;

  /** HAProxy caps relative weights at 25600% before applying them. */
  public static final int MAX_RELATIVE_PERCENT = 25_600;

  private final HealthResult result;
  private final @Nullable String line;
  private final int weight;
  private final boolean relative;
  private final boolean hasWeight;
  private final int maxconn;
  private final boolean hasMaxconn;
  private final @Nullable AdminState admin;
  private final @Nullable OperationalState state;
  private final String description;
  private final List<String> problems;

  private AgentReport(HealthResult result, @Nullable String line, int weight, boolean relative, boolean hasWeight,
      int maxconn, boolean hasMaxconn, @Nullable AdminState admin, @Nullable OperationalState state, String description,
      List<String> problems) {
    this.result = result;
    this.line = line;
    this.weight = weight;
    this.relative = relative;
    this.hasWeight = hasWeight;
    this.maxconn = maxconn;
    this.hasMaxconn = hasMaxconn;
    this.admin = admin;
    this.state = state;
    this.description = description;
    this.problems = List.copyOf(problems);
  }

  /**
   * A check that got no usable line: a connection failure, a timeout, or an answer that was not a
   * complete line (then {@code result} says which).
   *
   * @param result the check's result
   * @return a report with nothing to apply
   */
  public static AgentReport noAnswer(HealthResult result) {
    return new AgentReport(Objects.requireNonNull(result, "result"), null, 0, false, false, 0, false, null, null, "", List.of());
  }

  /**
   * Parses one agent line (without its CR or LF).
   *
   * @param line the line
   * @return the report, with a result dated 0 ns
   */
  public static AgentReport parse(String line) {
    return parse(line, 0);
  }

  /**
   * Parses one agent line (without its CR or LF) read in {@code elapsedNanos}.
   *
   * @param line the line
   * @param elapsedNanos how long the check took
   * @return the report
   */
  public static AgentReport parse(String line, long elapsedNanos) {
    Objects.requireNonNull(line, "line");
    int weight = 0;
    boolean relative = false;
    boolean hasWeight = false;
    int maxconn = 0;
    boolean hasMaxconn = false;
    AdminState admin = null;
    OperationalState state = null;
    String description = "";
    List<String> problems = new ArrayList<>();
    int words = 0;
    int i = 0;
    int n = line.length();
    while (i < n) {
      char c = line.charAt(i);
      if (c == ' ' || c == '\t' || c == ',') {
        i++;
        continue;
      }
      if (c == '#') {
        description = line.substring(i + 1).strip();
        break;
      }
      int end = i + 1;
      while (end < n && " \t,".indexOf(line.charAt(end)) < 0) {
        end++;
      }
      String word = line.substring(i, end);
      i = end;
      words++;
      String lower = word.toLowerCase(Locale.ROOT);
      switch (lower) {
        case "up":
          state = OperationalState.UP;
          continue;
        case "down":
          state = OperationalState.DOWN;
          continue;
        case "fail":
          state = OperationalState.FAIL;
          continue;
        case "stopped":
          state = OperationalState.STOPPED;
          continue;
        case "ready":
          admin = AdminState.READY;
          continue;
        case "drain":
          admin = AdminState.DRAIN;
          continue;
        case "maint":
          admin = AdminState.MAINT;
          continue;
        default:
          break;
      }
      String weightText = null;
      if (Character.isDigit(word.charAt(0)) && word.indexOf('%') >= 0) {
        weightText = word;
      } else if (lower.startsWith("weight:")) {
        weightText = word.substring("weight:".length());
      } else if (lower.startsWith("maxconn:")) {
        String v = word.substring("maxconn:".length());
        long parsed = number(v);
        if (parsed == NOT_A_NUMBER) {
          problems.add("maxconn '" + v + "' is not a whole number");
        } else if (parsed > Integer.MAX_VALUE) {
          problems.add("maxconn '" + v + "' is too large");
        } else {
          maxconn = (int) parsed;
          hasMaxconn = true;
        }
        continue;
      } else {
        problems.add("unknown word '" + word + "'");
        continue;
      }
      String problem = null;
      boolean percent = weightText.endsWith("%");
      String digits = percent ? weightText.substring(0, weightText.length() - 1) : weightText;
      long w = number(digits);
      if (digits.isEmpty() || w == NOT_A_NUMBER) {
        problem = "weight '" + weightText + "' is not a number, nor a number followed by %";
      } else if (percent) {
        weight = (int) Math.min(w, MAX_RELATIVE_PERCENT);
        relative = true;
        hasWeight = true;
      } else if (w > MAX_ABSOLUTE_WEIGHT) {
        problem = "absolute weight " + weightText + " is not in 0.." + MAX_ABSOLUTE_WEIGHT;
      } else {
        weight = (int) w;
        relative = false;
        hasWeight = true;
      }
      if (problem != null) {
        problems.add(problem);
      }
    }
    String shown = line.length() > 200 ? line.substring(0, 200) + "..." : line;
    HealthResult result;
    if (state == OperationalState.DOWN || state == OperationalState.FAIL || state == OperationalState.STOPPED) {
      result = HealthResult.unhealthy(HealthReason.UNEXPECTED_STATUS, elapsedNanos,
          "agent says " + state.name().toLowerCase(Locale.ROOT) + (description.isEmpty() ? "" : " (" + description + ")"));
    } else if (words > 0 && problems.size() == words) {
      result = HealthResult.unhealthy(HealthReason.PROTOCOL_ERROR, elapsedNanos,
          "agent answered '" + shown + "', nothing usable: " + String.join("; ", problems));
    } else {
      result = HealthResult.healthy(elapsedNanos, words == 0 ? "agent sent an empty line"
          : "agent answered '" + shown + "'" + (problems.isEmpty() ? "" : ", ignored: " + String.join("; ", problems)));
    }
    return new AgentReport(result, line, weight, relative, hasWeight, maxconn, hasMaxconn, admin, state, description, problems);
  }

  private static final long NOT_A_NUMBER = -1;

  /** A non-negative decimal number of at most 18 digits, else NOT_A_NUMBER. */
  private static long number(String s) {
    if (s.isEmpty() || s.length() > 18) {
      return NOT_A_NUMBER;
    }
    long v = 0;
    for (int k = 0; k < s.length(); k++) {
      char c = s.charAt(k);
      if (c < '0' || c > '9') {
        return NOT_A_NUMBER;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  /**
   * Returns the check's result.
   *
   * @return healthy, or unhealthy with the reason described in the class comment
   */
  public HealthResult result() {
    return result;
  }

  /**
   * Returns whether the agent answered a complete line (possibly empty, possibly with problems).
   *
   * @return whether there is a line
   */
  public boolean answered() {
    return line != null;
  }

  /**
   * Returns the line the agent sent, without its CR or LF.
   *
   * @return the line, or empty when it did not answer
   */
  public Optional<String> line() {
    return Optional.ofNullable(line);
  }

  /**
   * Returns the weight as a percentage of the backend's configured weight, from {@code 75%} or
   * {@code weight:75%} (HAProxy then caps the result at 256; a pool caps at its own maximum).
   *
   * @return 0..25600, or empty when the agent set no relative weight
   */
  public OptionalInt weightPercent() {
    return hasWeight && relative ? OptionalInt.of(weight) : OptionalInt.empty();
  }

  /**
   * Returns the absolute weight from {@code weight:N}.
   *
   * @return 0..256, or empty when the agent set no absolute weight
   */
  public OptionalInt weight() {
    return hasWeight && !relative ? OptionalInt.of(weight) : OptionalInt.empty();
  }

  /**
   * Returns the connection limit from {@code maxconn:N}.
   *
   * @return 0 or more, or empty when not set
   */
  public OptionalInt maxconn() {
    return hasMaxconn ? OptionalInt.of(maxconn) : OptionalInt.empty();
  }

  /**
   * Returns the administrative state the agent asks for.
   *
   * @return ready, drain or maint, or empty when not set
   */
  public Optional<AdminState> adminState() {
    return Optional.ofNullable(admin);
  }

  /**
   * Returns the operational state the agent reports.
   *
   * @return up, down, fail or stopped, or empty when not set
   */
  public Optional<OperationalState> operationalState() {
    return Optional.ofNullable(state);
  }

  /**
   * Returns the text after {@code #}, trimmed.
   *
   * @return the description, empty when none
   */
  public String description() {
    return description;
  }

  /**
   * Returns what was ignored and why, one entry per word, for example {@code unknown word 'x'}.
   *
   * @return the problems, empty for a clean line
   */
  public List<String> problems() {
    return problems;
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("AgentReport{");
    if (line == null) {
      return b.append("no answer: ").append(result).append('}').toString();
    }
    if (hasWeight) {
      b.append(relative ? "weight " + weight + "% " : "weight " + weight + " ");
    }
    if (hasMaxconn) {
      b.append("maxconn ").append(maxconn).append(' ');
    }
    if (admin != null) {
      b.append(admin).append(' ');
    }
    if (state != null) {
      b.append(state).append(' ');
    }
    if (!problems.isEmpty()) {
      b.append("problems ").append(problems).append(' ');
    }
    return b.append(result).append('}').toString();
  }
}
