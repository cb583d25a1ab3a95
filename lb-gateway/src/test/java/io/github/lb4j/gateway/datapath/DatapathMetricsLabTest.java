package io.github.lb4j.gateway.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code lb datapath --metrics}: the datapath in the balancer's namespace serves Prometheus text,
 * scraped there with curl after real requests went through it.
 */
class DatapathMetricsLabTest {

  private static double value(String scrape, String series) {
    Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(scrape);
    assertThat(m.find()).as("%s in\n%s", series, scrape).isTrue();
    return Double.parseDouble(m.group(1));
  }

  @Test
  void theTranslatorsVerdictsAndTheFlowTable_areScraped() throws Exception {
    Lab.assumeAvailable("curl");
    try (Lab lab = Lab.create(Lab.Layout.ONE_ARM, 2)) {
      lab.serversGateway(Lab.LB);
      List<String> a = new ArrayList<>(List.of("--mode", "transparent", "--interface", "eth0", "--vip", Lab.VIP + ":" + Lab.HTTP,
          "--gateway", Lab.ROUTER, "--server-subnet", lab.serverSubnet(), "--metrics", "127.0.0.1:9464"));
      for (int i = 1; i <= 2; i++) {
        a.add("--backend");
        a.add("s" + i + "=" + lab.server(i) + ":" + Lab.HTTP);
      }
      lab.startDatapath(2, a.toArray(String[]::new));
      Lab.Load load = lab.load("c", Lab.VIP, 20, 4, 3500);
      assertThat(load.ok()).as(load.raw()).isEqualTo(20);
      String scrape = lab.in("lb", "curl", "-sS", "http://127.0.0.1:9464/metrics");
      assertThat(value(scrape, "lb_nat_events_total{event=\"forwarded_requests\",mode=\"transparent\"}")).isPositive();
      assertThat(value(scrape, "lb_nat_events_total{event=\"forwarded_replies\",mode=\"transparent\"}")).isPositive();
      assertThat(value(scrape, "lb_flow_table_inserts_total{mode=\"transparent\",slot=\"free\"}")).isPositive();
      assertThat(value(scrape, "lb_flow_table_capacity{mode=\"transparent\"}")).isPositive();
      assertThat(value(scrape, "lb_datapath_backends_eligible{mode=\"transparent\"}")).isEqualTo(2);
      assertThat(scrape).contains("lb_nat_drops_total{mode=\"transparent\",reason=\"malformed\"}");
      assertThat(lab.datapathLog()).contains("lb datapath: metrics at http://127.0.0.1:9464/metrics");
      lab.stopDatapath();

      // Two workers: each worker's flow table under its own tag, and their flows add up to the requests'.
      a.addAll(List.of("--workers", "2"));
      lab.startDatapath(2, a.toArray(String[]::new));
      Lab.Load two = lab.load("c", Lab.VIP, 40, 4, 3500);
      assertThat(two.ok()).as(two.raw()).isEqualTo(40);
      String perWorker = lab.in("lb", "curl", "-sS", "http://127.0.0.1:9464/metrics");
      double w0 = value(perWorker, "lb_flow_table_inserts_total{mode=\"transparent\",slot=\"free\",worker=\"0\"}");
      double w1 = value(perWorker, "lb_flow_table_inserts_total{mode=\"transparent\",slot=\"free\",worker=\"1\"}");
      assertThat(w0 + w1).as("flows created by both workers").isGreaterThanOrEqualTo(40);
      assertThat(value(perWorker, "lb_nat_events_total{event=\"forwarded_requests\",mode=\"transparent\"}")).isPositive();
      assertThat(perWorker).doesNotContain("lb_flow_table_capacity{mode=\"transparent\"} ");
      lab.stopDatapath();
    }
  }
}
