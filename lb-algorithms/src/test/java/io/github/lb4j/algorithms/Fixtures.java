package io.github.lb4j.algorithms;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.ImmutableFlowKey;
import io.github.lb4j.api.MutableFlowKey;
import io.github.lb4j.api.NanoClock;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import io.github.lb4j.api.Schedulers;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Backends, flows and clocks for the scheduler tests (documentation address ranges only). */
final class Fixtures {

  static final List<String> NAMES = List.of(
      "round-robin", "weighted-round-robin", "smooth-weighted-round-robin", "least-connections",
      "weighted-least-connections", "shortest-expected-delay", "never-queue", "source-hash",
      "four-tuple-hash", "random", "weighted-random", "power-of-two-choices", "peak-ewma", "maglev",
      "ring-hash", "jump", "rendezvous", "failover", "locality-least-connections", "least-request",
      "weighted-round-robin-adaptive", "aperture");

  private Fixtures() {}

  /** A backend {@code id} at 192.0.2.x (RFC 5737). */
  static Backend backend(String id, int weight) {
    int n = Math.floorMod(id.hashCode(), 250) + 1;
    try {
      return Backend.of(id, InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, (byte) n}), 8080).withWeight(weight);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  /** Backends b0..b(n-1), weight 1. */
  static List<Backend> backends(int n) {
    List<Backend> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(backend("b" + i, 1));
    }
    return out;
  }

  /** Backends b0.. with the given weights. */
  static List<Backend> weighted(int... weights) {
    List<Backend> out = new ArrayList<>();
    for (int i = 0; i < weights.length; i++) {
      out.add(backend("b" + i, weights[i]));
    }
    return out;
  }

  /** A flow from client 2001:db8::{client} port {port} to 2001:db8:ffff::1 port 443 (RFC 3849). */
  static FlowKey flow(long client, int port) {
    return new MutableFlowKey().setV6(6, 0x2001_0db8_0000_0000L, client, port & 0xFFFF, 0x2001_0db8_ffff_0000L, 1L, 443);
  }

  /** An immutable IPv4 flow from 198.51.100.x to 203.0.113.1:80. */
  static FlowKey v4flow(int client, int port) {
    try {
      return ImmutableFlowKey.of(io.github.lb4j.api.Protocol.TCP,
          InetAddress.getByAddress(new byte[] {(byte) 198, 51, 100, (byte) client}), port,
          InetAddress.getByAddress(new byte[] {(byte) 203, 0, 113, 1}), 80);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  /** {@code n} random flows from distinct clients and ports, fixed by {@code seed}. */
  static FlowKey[] flows(int n, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    FlowKey[] out = new FlowKey[n];
    for (int i = 0; i < n; i++) {
      out[i] = flow(random.nextLong(), random.nextInt(1024, 65536));
    }
    return out;
  }

  static Scheduler create(String name) {
    return Schedulers.create(name, SchedulerConfig.defaults());
  }

  static Scheduler create(String name, SchedulerConfig config) {
    return Schedulers.create(name, config);
  }

  /** A clock the test moves by hand. */
  static final class ManualClock implements NanoClock {
    private volatile long now = 1_000_000_000L;

    @Override
    public long nanoTime() {
      return now;
    }

    void advanceMillis(long millis) {
      now += millis * 1_000_000L;
    }

    void advanceSeconds(long seconds) {
      now += seconds * 1_000_000_000L;
    }
  }
}
