package io.github.lb4j.gateway.datapath;

import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.HealthCheckers;
import io.github.lb4j.api.HealthResult;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;

/**
 * Pings an address from the lab namespace it runs in with lb4j's ICMP checker (echo request and
 * reply over a ping socket, IPv4 or IPv6): {@code LabIcmpEcho ADDRESS COUNT}; prints {@code echo
 * ANSWERED COUNT} and the reason of the last failure.
 */
final class LabIcmpEcho {

  private LabIcmpEcho() {}

  public static void main(String[] args) throws Exception {
    InetSocketAddress target = new InetSocketAddress(InetAddress.getByName(args[0]), 0);
    int count = Integer.parseInt(args[1]);
    int answered = 0;
    String last = "";
    try (HealthChecker checker = HealthCheckers.create("icmp", Map.of())) {
      for (int i = 0; i < count; i++) {
        HealthResult r = checker.check(target, Duration.ofSeconds(2)).get();
        if (r.healthy()) {
          answered++;
        } else {
          last = r.toString();
        }
      }
    }
    System.out.println("echo " + answered + " " + count + (last.isEmpty() ? "" : " " + last));
    System.out.flush();
  }
}
