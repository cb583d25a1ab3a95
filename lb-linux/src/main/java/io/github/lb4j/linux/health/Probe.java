package io.github.lb4j.linux.health;

import io.github.lb4j.api.HealthResult;
import java.net.InetAddress;
import java.util.concurrent.CompletableFuture;

/**
 * One check in flight: its target, deadline and future, plus the key under which its engine finds
 * the answer (ICMP sequence number, local TCP port). Fields other than the constructor's belong to
 * the engine's I/O thread.
 */
final class Probe {

  final Object owner;
  final InetAddress address;
  final byte[] addressBytes;
  final int port;
  final long timeoutNanos;
  final CompletableFuture<HealthResult> future = new CompletableFuture<>();
  long startNanos;
  long deadlineNanos;
  int key = -1;
  int sequence;
  boolean done;
  Object resource;

  Probe(Object owner, InetAddress address, int port, long timeoutNanos) {
    this.owner = owner;
    this.address = address;
    this.addressBytes = address.getAddress();
    this.port = port;
    this.timeoutNanos = timeoutNanos;
    this.resource = this;
  }

  boolean ipv6() {
    return addressBytes.length == 16;
  }
}
