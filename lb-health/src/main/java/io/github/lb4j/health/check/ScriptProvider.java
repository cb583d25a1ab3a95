package io.github.lb4j.health.check;

import io.github.lb4j.api.HealthChecker;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Registers [tcp-script]: HAProxy tcp-check style send/expect steps, given as options {@code
 * step.1}, {@code step.2}, ... whose values are {@code send <payload>}, {@code expect string <text>}
 * or {@code expect rstring <regex>} (payload and text take the escapes {@code \r \n \t \0 \\ \xHH}).
 *
 * <p>Stateless and thread-safe; {@code create} allocates the checker (which joins the shared check
 * loop) and never blocks on the network.
 */
public final class ScriptProvider extends BaseProvider {

  /** Creates the provider; called by {@link java.util.ServiceLoader}. */
  public ScriptProvider() {
    super("tcp-script", "TCP script: send/expect steps after connect, HAProxy tcp-check style", Set.of("step.<n>"));
  }

  @Override
  HealthChecker create(Options o) {
    TreeMap<Integer, String> ordered = new TreeMap<>();
    for (Map.Entry<String, String> e : o.all().entrySet()) {
      String n = e.getKey();
      int index;
      try {
        index = Integer.parseInt(n.substring("step.".length()));
      } catch (NumberFormatException | IndexOutOfBoundsException ex) {
        throw o.bad(n, e.getValue(), "named step.<n> with n a number");
      }
      ordered.put(index, e.getValue());
    }
    if (ordered.isEmpty()) {
      throw new IllegalArgumentException("tcp-script: at least one option step.<n> is required, for example step.1='send PING\\r\\n'");
    }
    List<ScriptChecker.Step> steps = new ArrayList<>();
    for (Map.Entry<Integer, String> e : ordered.entrySet()) {
      String opt = "step." + e.getKey();
      String v = e.getValue();
      if (v.startsWith("send ")) {
        steps.add(new ScriptChecker.Step(o.unescapeValue(opt, v.substring(5)), null, null, v));
      } else if (v.startsWith("expect string ")) {
        String text = new String(o.unescapeValue(opt, v.substring(14)), java.nio.charset.StandardCharsets.ISO_8859_1);
        if (text.isEmpty()) {
          throw o.bad(opt, v, "'expect string <text>' with non-empty text");
        }
        steps.add(new ScriptChecker.Step(null, text, null, v));
      } else if (v.startsWith("expect rstring ")) {
        try {
          steps.add(new ScriptChecker.Step(null, null, Pattern.compile(v.substring(15)), v));
        } catch (java.util.regex.PatternSyntaxException ex) {
          throw o.bad(opt, v, "'expect rstring <regex>' with a valid regex (" + ex.getDescription() + ")");
        }
      } else {
        throw o.bad(opt, v, "'send <payload>', 'expect string <text>' or 'expect rstring <regex>'");
      }
    }
    return new ScriptChecker(name(), steps);
  }
}
