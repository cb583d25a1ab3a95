package io.github.lb4j.benchmarks.linux;

import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.HealthResult;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One ICMP round over the same loopback addresses, by lb4j's [icmp] checker and by fping, each
 * verified to have heard every target. Loopback answers for all of 127.0.0.0/8, so no set-up is
 * needed. Not thread-safe; allocates per round.
 */
final class IcmpRound {

  /** Per-target timeout of both sides, as {@code fping -t500}. */
  static final Duration TIMEOUT = Duration.ofMillis(500);

  private IcmpRound() {}

  /** 127.0.1.0, 127.0.1.1, ... ({@code count} addresses, 1000 ends at 127.0.4.231). */
  static List<InetSocketAddress> addresses(int count) {
    List<InetSocketAddress> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int n = 256 + i;
      try {
        out.add(new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, (byte) (n >> 8), (byte) n}), 0));
      } catch (UnknownHostException e) {
        throw new IllegalStateException(e);
      }
    }
    return out;
  }

  /** Runs one lb4j round and returns how many targets answered. */
  static int lb4j(HealthChecker checker, List<InetSocketAddress> targets) {
    @SuppressWarnings("unchecked")
    CompletableFuture<HealthResult>[] round = new CompletableFuture[targets.size()];
    for (int i = 0; i < round.length; i++) {
      round[i] = checker.check(targets.get(i), TIMEOUT);
    }
    CompletableFuture.allOf(round).join();
    int healthy = 0;
    for (CompletableFuture<HealthResult> f : round) {
      if (f.join().healthy()) {
        healthy++;
      }
    }
    return healthy;
  }

  /** The fping command for one round: one echo per target, 500 ms timeout, quiet. */
  static List<String> fpingCommand(List<InetSocketAddress> targets, int intervalMillis) {
    List<String> cmd = new ArrayList<>(List.of("fping", "-c1", "-t500", "-q", "-i", Integer.toString(intervalMillis)));
    for (InetSocketAddress t : targets) {
      cmd.add(t.getAddress().getHostAddress());
    }
    return cmd;
  }

  /** Runs one fping round (process start to exit) and returns how many targets answered. */
  static int fping(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("fping did not finish in 60 s");
    }
    int heard = 0;
    for (String line : new String(out, java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
      if (line.contains("xmt/rcv/%loss = 1/1/")) {
        heard++;
      }
    }
    return heard;
  }
}
