/**
 * VIP announcement for lb4j balancers that scale out behind ECMP routers: a {@code VipAnnouncer}
 * announces the VIPs by BGP (BIRD 2 or GoBGP as the speaker) while the balancer can serve them.
 */
module io.github.lb4j.announce {
  requires static transitive org.jspecify;
  requires org.slf4j;

  exports io.github.lb4j.announce;
}
