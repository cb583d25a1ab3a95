package io.github.lb4j.gateway.cli;

import io.github.lb4j.discovery.DnsMembership;
import io.github.lb4j.discovery.FileMembership;
import io.github.lb4j.pool.MembershipSource;
import java.util.concurrent.TimeUnit;

/**
 * One status line per membership source of {@code lb proxy --discover}: what it last gave and, while
 * it fails (a DNS outage, a bad file), that the last good membership is kept and why. Stateless.
 */
final class DiscoveryStatus {

  private DiscoveryStatus() {}

  static String describe(String name, MembershipSource source) {
    if (source instanceof DnsMembership dns) {
      DnsMembership.Status s = dns.status();
      String next = s.refreshNanos() == 0 ? "" : ", next lookup in " + TimeUnit.NANOSECONDS.toSeconds(s.refreshNanos()) + "s";
      if (s.lastError() == null) {
        return name + " " + s.backends().size() + " backends after " + s.lookups() + " lookups" + next;
      }
      return name + " FAILING (" + s.consecutiveFailures() + " in a row: " + s.lastError() + "); keeping the last good "
          + s.backends().size() + " backends" + next;
    }
    if (source instanceof FileMembership file) {
      FileMembership.Status s = file.status();
      if (s.lastError() == null) {
        return name + " " + s.backends().size() + " backends after " + s.loads() + " loads";
      }
      return name + " FAILING (" + s.lastError() + "); keeping the last good " + s.backends().size() + " backends";
    }
    return name;
  }
}
