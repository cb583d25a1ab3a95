/**
 * The packet datapath of {@code lb datapath}, embeddable: lb-nat's translators run on live frames
 * from AF_PACKET sockets (lb-linux), with ARP and neighbor next-hop resolution, health checks
 * (lb-health) and a scheduler by name (lb-algorithms); seed S4, S5, S6.
 *
 * <p>The embedding API is two types: {@link io.github.lb4j.gateway.datapath.DatapathConfig} (an
 * immutable description built and validated by its builder) and {@link
 * io.github.lb4j.gateway.datapath.Datapath} (started from it, read through its counters and status,
 * closed when done):
 *
 * <pre>{@code
 * DatapathConfig config = DatapathConfig.builder(ForwardingMode.FULL_NAT)
 *     .oneArm("eth0")
 *     .vip(InetAddress.getByName("192.0.2.100"), 8080)
 *     .gateway(InetAddress.getByName("192.0.2.1"))
 *     .snat(InetAddress.getByName("192.0.2.3"))
 *     .backend(Backend.of("s1", InetAddress.getByName("192.0.2.11"), 8080))
 *     .backend(Backend.of("s2", InetAddress.getByName("192.0.2.12"), 8080))
 *     .check("tcp", Map.of(), Duration.ofSeconds(1), 2, 2)
 *     .build();                                  // IllegalArgumentException naming a bad option
 * try (Datapath datapath = Datapath.start(config)) { // opens the interfaces, resolves next hops
 *   ...
 *   datapath.count(NatCounter.FORWARDED_REQUESTS);  // any thread
 *   datapath.eligible();                            // servers healthy and resolved now
 * }
 * }</pre>
 *
 * <p>The process needs {@code CAP_NET_RAW} and runs in the network namespace that owns the
 * interfaces. Threads, allocation and blocking are described on each type.
 */
@NullMarked
package io.github.lb4j.gateway.datapath;

import org.jspecify.annotations.NullMarked;
