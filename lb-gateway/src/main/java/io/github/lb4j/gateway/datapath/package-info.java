/**
 * The packet datapath of {@code lb datapath}: lb-nat's translators run on live frames from AF_PACKET
 * sockets (lb-linux), with ARP next-hop resolution, health checks (lb-health) and a scheduler
 * (lb-algorithms); seed S4, S5, S6.
 */
@NullMarked
package io.github.lb4j.gateway.datapath;

import org.jspecify.annotations.NullMarked;
