package io.github.lb4j.health.check;

import java.util.BitSet;

/**
 * A set of HTTP status codes written as HAProxy and Envoy configurations write them: single codes
 * and ranges separated by commas ({@code 200-299,302}). Immutable; any thread; never allocates after
 * parsing.
 */
final class StatusSet {

  private final BitSet codes;
  private final String text;

  private StatusSet(BitSet codes, String text) {
    this.codes = codes;
    this.text = text;
  }

  static StatusSet parse(Options o, String option, String dflt) {
    String text = o.string(option, dflt).trim();
    BitSet codes = new BitSet(600);
    if (text.isEmpty()) {
      throw o.bad(option, text, "status codes and ranges such as 200-299,302");
    }
    for (String part : text.split(",")) {
      String p = part.trim();
      int dash = p.indexOf('-');
      try {
        int lo = Integer.parseInt(dash < 0 ? p : p.substring(0, dash).trim());
        int hi = dash < 0 ? lo : Integer.parseInt(p.substring(dash + 1).trim());
        if (lo < 100 || hi > 599 || lo > hi) {
          throw o.bad(option, text, "status codes in 100..599 and ranges lo-hi with lo <= hi");
        }
        codes.set(lo, hi + 1);
      } catch (NumberFormatException e) {
        throw o.bad(option, text, "status codes and ranges such as 200-299,302");
      }
    }
    return new StatusSet(codes, text);
  }

  boolean contains(int status) {
    return status >= 0 && codes.get(status);
  }

  @Override
  public String toString() {
    return text;
  }
}
