/**
 * Membership sources for {@link io.github.lb4j.pool.BackendPool}: {@link
 * io.github.lb4j.discovery.DnsMembership} (DNS SRV records, or A and AAAA records with a port,
 * re-resolved as their TTL runs out) and {@link io.github.lb4j.discovery.FileMembership} (a file of
 * backends, reloaded when it changes). Both keep the last good membership when a lookup or a file
 * is bad, and say why.
 */
module io.github.lb4j.discovery {
  requires static transitive org.jspecify;
  requires transitive io.github.lb4j.pool;
  requires org.dnsjava;
  requires org.slf4j;

  exports io.github.lb4j.discovery;
}
