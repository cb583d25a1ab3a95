package io.github.lb4j.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code lb trace} shows the translator's own link-layer choices on its inline example topology:
 * router mode answers an on-link client at its own MAC and a remote one through the router; no mode
 * leaves a frame addressed to the balancer itself (transparent mode with the servers' gateway on
 * the balancer, S6.1a).
 */
class TraceLinkLayerTest {

  private static final String ROUTER = "02:00:5e:00:00:01";
  private static final String ON_LINK_CLIENT = "02:00:5e:00:00:50";
  private static final List<String> BALANCER = List.of("02:00:5e:00:00:02", "02:00:5e:00:00:03");

  private static String trace(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    String[] all = new String[args.length + 1];
    all[0] = "trace";
    System.arraycopy(args, 0, all, 1, args.length);
    int code = Lb.run(all, new PrintWriter(out, true), new PrintWriter(err, true));
    assertThat(code).as(err.toString()).isZero();
    return out.toString();
  }

  /** The destination MAC of the last hop's frame ({@code eth SRC > DST | ...}). */
  private static String lastDestination(String text) {
    List<String> eth = text.lines().map(String::strip).filter(l -> l.startsWith("eth ")).toList();
    return eth.get(eth.size() - 1).split(" ")[3];
  }

  @Test
  void router_answersAnOnLinkClientAtItsOwnMac_andARemoteOneThroughTheRouter() {
    assertThat(lastDestination(trace("--mode", "router", "--client", "198.51.100.50"))).isEqualTo(ON_LINK_CLIENT);
    assertThat(lastDestination(trace("--mode", "router"))).isEqualTo(ROUTER);
    assertThat(lastDestination(trace("--mode", "router", "--ipv6", "--client", "2001:db8:1::50"))).isEqualTo(ON_LINK_CLIENT);
    assertThat(lastDestination(trace("--mode", "router", "--ipv6"))).isEqualTo(ROUTER);
  }

  @Test
  void noModeLeavesAFrameAddressedToTheBalancer() {
    for (String mode : List.of("transparent", "router", "dsr-l2", "dsr-ipip", "dsr-dscp", "full-nat")) {
      for (boolean six : new boolean[] {false, true}) {
        String text = six ? trace("--mode", mode, "--ipv6") : trace("--mode", mode);
        List<String> lines = text.lines().map(String::strip).toList();
        for (int i = 0; i < lines.size(); i++) {
          if (lines.get(i).matches("\\d+\\. balancer.*")) {
            String eth = lines.get(i + 1);
            assertThat(eth.split(" ")[3]).as("%s: %s", mode, eth).isNotIn(BALANCER);
            assertThat(eth.split(" ")[1]).as("sent from a balancer port: %s", eth).isIn(BALANCER);
          }
        }
      }
    }
  }

  @Test
  void aClientOfTheOtherFamily_isOneLine() {
    StringWriter err = new StringWriter();
    int code = Lb.run(new String[] {"trace", "--mode", "router", "--client", "2001:db8:1::50"}, new PrintWriter(new StringWriter()),
        new PrintWriter(err, true));
    assertThat(code).isEqualTo(2);
    assertThat(err.toString().lines().toList()).singleElement().asString()
        .startsWith("lb trace: --client 2001:db8:1::50 is not an IPv4 address");
  }
}
