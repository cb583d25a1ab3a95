/**
 * VIP announcement for scaling out: a {@link io.github.lb4j.announce.VipAnnouncer} announces a
 * balancer's VIPs to its routers by BGP while the balancer can serve them (BIRD 2 or GoBGP run as the
 * speaker), so that routers spread flows over many balancers by ECMP and stop sending to one that
 * stops or dies. Created by {@link io.github.lb4j.announce.Announcers#bgp}.
 */
@NullMarked
package io.github.lb4j.announce;

import org.jspecify.annotations.NullMarked;
