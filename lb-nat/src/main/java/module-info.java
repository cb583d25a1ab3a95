/**
 * The userspace packet-rewrite core of lb4j: header flyweights and checksums, the frame parser, the
 * flow table, pcap files, and one {@link io.github.lb4j.api.NatTranslator} per forwarding mode.
 */
module io.github.lb4j.nat {
  requires static org.jspecify;
  requires transitive io.github.lb4j.api;
  requires org.slf4j;

  exports io.github.lb4j.nat;
  exports io.github.lb4j.nat.header;
  exports io.github.lb4j.nat.flow;
  exports io.github.lb4j.nat.pcap;
}
