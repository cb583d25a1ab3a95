package io.github.lb4j.gateway.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * An operator's drain through {@link Datapath#pool()}, on an embedded datapath with two workers
 * (inline, router mode, three servers of long-lived connections): the drained server's established
 * connections keep flowing through both workers' flow tables (as an IPVS real server of weight 0
 * keeps its connections), no new connection reaches it, and it takes new ones again once active.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PoolDrainLabTest {

  private static final int PORT = 7000;
  private static final int CONNECTIONS = 30;
  private Lab lab;
  private final List<Process> processes = new ArrayList<>();

  @BeforeAll
  void up() throws Exception {
    Lab.assumeAvailable();
    lab = Lab.create(Lab.Layout.INLINE, 3);
    for (int i = 1; i <= 3; i++) {
      Path log = lab.dir().resolve("stream-s" + i + ".log");
      lab.java("s" + i, log, LabStreamServer.class.getName(), List.of("-Xmx48m"), "s" + i, "::", Integer.toString(PORT));
      awaitLog(log, "listening");
    }
  }

  @AfterAll
  void down() throws InterruptedException {
    for (Process p : processes) {
      p.destroy();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    if (lab != null) {
      lab.close();
    }
  }

  private static void awaitLog(Path log, String text) {
    Awaitility.await(log.getFileName() + " says " + text).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
        .until(() -> Files.exists(log) && Files.readString(log).contains(text));
  }

  /** A Java main of the test class path in a namespace of the lab, spoken to by lines. */
  private ScaleOutLab.StreamClient start(String role, String mainClass, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", lab.ns(role), Lab.javaBinary(), "-cp", Lab.classPath(),
        "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", "-Xmx128m", mainClass));
    cmd.addAll(List.of(args));
    Path errors = lab.dir().resolve(role + "-" + System.nanoTime() + ".err");
    Process p = new ProcessBuilder(cmd).redirectError(errors.toFile()).start();
    processes.add(p);
    return new ScaleOutLab.StreamClient(p, errors);
  }

  private ScaleOutLab.StreamClient streams() throws IOException {
    ScaleOutLab.StreamClient c = start("c", LabStreamClient.class.getName(), Lab.VIP, Integer.toString(PORT),
        Integer.toString(CONNECTIONS), "50");
    assertThat(c.readLine()).startsWith("started");
    Awaitility.await("every connection exchanges lines").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
        .until(() -> {
          long[] p = c.progress();
          assertThat(p[1]).as("failed connections").isZero();
          return p[0] == CONNECTIONS && p[2] >= 3;
        });
    return c;
  }

  /** The {@code server NAME N} lines of a stream client's result. */
  private static long connectionsOf(List<String> result, String server) {
    return result.stream().filter(l -> l.startsWith("server " + server + " ")).mapToLong(l -> Long.parseLong(l.split(" ")[2]))
        .sum();
  }

  @Test
  void drainThroughThePool_keepsEstablishedConnections_andSendsNewOnesElsewhere() throws Exception {
    Path status = lab.dir().resolve("pool-datapath.status");
    List<String> args = new ArrayList<>(List.of("router", "eth0", "eth1", Lab.VIP, Integer.toString(PORT), Lab.ROUTER, "2",
        status.toString()));
    for (int i = 1; i <= 3; i++) {
      args.add("s" + i + "=" + lab.server(i));
    }
    ScaleOutLab.StreamClient dp = start("lb", LabPoolDatapath.class.getName(), args.toArray(String[]::new));
    assertThat(dp.readLine()).isEqualTo("started 2");
    Awaitility.await("three servers take new flows").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
        .until(() -> dp.ask("eligible").equals("eligible 3"));

    ScaleOutLab.StreamClient before = streams();
    assertThat(dp.ask("drain s1")).isEqualTo("state s1 draining not-serving");
    assertThat(dp.ask("eligible")).isEqualTo("eligible 2");
    long exchanged = before.progress()[2];

    ScaleOutLab.StreamClient after = streams();
    // the connections established before the drain go on exchanging, s1's among them
    Awaitility.await("established connections keep exchanging").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
        .until(() -> before.progress()[2] >= exchanged + 10);
    List<String> kept = before.stop();
    List<String> fresh = after.stop();

    assertThat(kept.get(0)).as("connections established before the drain: %s", kept)
        .isEqualTo("result " + CONNECTIONS + " " + CONNECTIONS + " 0 " + kept.get(0).split(" ")[4]);
    assertThat(connectionsOf(kept, "s1")).as("connections of the drained server, kept: %s", kept).isPositive();
    assertThat(fresh.get(0)).as("connections opened after the drain: %s", fresh).startsWith("result " + CONNECTIONS + " " + CONNECTIONS + " 0 ");
    assertThat(connectionsOf(fresh, "s1")).as("new connections on the drained server: %s", fresh).isZero();
    assertThat(connectionsOf(fresh, "s2") + connectionsOf(fresh, "s3")).isEqualTo(CONNECTIONS);

    assertThat(dp.ask("activate s1")).isEqualTo("state s1 active serving");
    ScaleOutLab.StreamClient again = streams();
    List<String> back = again.stop();
    assertThat(connectionsOf(back, "s1")).as("new connections once s1 is active again: %s", back).isPositive();

    assertThat(dp.ask("count workers")).isEqualTo("workers 2");
    assertThat(dp.ask("stop")).isEqualTo("closed");
  }
}
