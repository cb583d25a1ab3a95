package io.github.lb4j.api;

/**
 * The stable flow hashes of lb4j: every scheduler that hashes a flow, and the flow table, use these
 * functions, so results are identical across implementations of {@link FlowKey}, across JVMs and
 * across lb4j releases (the values are pinned by golden tests).
 *
 * <p>Each function absorbs 64-bit words into a state with the SplitMix64 finalizer of Steele, Lea
 * and Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014 (the same mixer as
 * {@code java.util.SplittableRandom}): {@code h = mix(h ^ word)} per word, starting from {@code
 * mix(seed ^ domain)} where the domain constant separates the hash kinds. Every output bit depends
 * on every input bit, which consistent hashing needs; it is not a cryptographic hash, so tables that
 * face untrusted traffic draw a random seed per instance.
 *
 * <p>Static, stateless: any thread may call it; it never allocates and never blocks.
 */
public final class FlowHash {

  private static final long DOMAIN_FIVE_TUPLE = 0x5EED_0005_0000_0001L;
  private static final long DOMAIN_FOUR_TUPLE = 0x5EED_0004_0000_0001L;
  private static final long DOMAIN_SOURCE = 0x5EED_0001_0000_0001L;
  private static final long DOMAIN_THREE_TUPLE = 0x5EED_0003_0000_0001L;

  private FlowHash() {}

  /**
   * Hashes protocol, both addresses and both ports.
   *
   * @param key the flow
   * @param seed the hash seed; instances that must agree use the same seed
   * @return the hash
   */
  public static long fiveTuple(FlowKey key, long seed) {
    long h = mix64(seed ^ DOMAIN_FIVE_TUPLE);
    h = mix64(h ^ (((long) key.protocolNumber() << 1) | (key.isIpv6() ? 1 : 0)));
    h = absorbAddresses(h, key);
    return mix64(h ^ ports(key));
  }

  /**
   * Hashes both addresses and both ports (the seed's S3.3 hash input), without the protocol.
   *
   * @param key the flow
   * @param seed the hash seed
   * @return the hash
   */
  public static long fourTuple(FlowKey key, long seed) {
    long h = mix64(seed ^ DOMAIN_FOUR_TUPLE);
    h = mix64(h ^ (key.isIpv6() ? 1 : 0));
    h = absorbAddresses(h, key);
    return mix64(h ^ ports(key));
  }

  /**
   * Hashes protocol and both addresses, without ports: what non-first IP fragments can be hashed
   * on, since they carry no L4 header.
   *
   * @param key the flow
   * @param seed the hash seed
   * @return the hash
   */
  public static long threeTuple(FlowKey key, long seed) {
    long h = mix64(seed ^ DOMAIN_THREE_TUPLE);
    h = mix64(h ^ (((long) key.protocolNumber() << 1) | (key.isIpv6() ? 1 : 0)));
    return absorbAddresses(h, key);
  }

  /**
   * Hashes the source address only (IPVS {@code sh}, nginx {@code ip_hash}).
   *
   * @param key the flow
   * @param seed the hash seed
   * @return the hash
   */
  public static long sourceAddress(FlowKey key, long seed) {
    long h = mix64(seed ^ DOMAIN_SOURCE);
    h = mix64(h ^ (key.isIpv6() ? 1 : 0));
    h = mix64(h ^ key.sourceAddressHigh());
    return mix64(h ^ key.sourceAddressLow());
  }

  /**
   * The SplitMix64 finalizer: a bijection on 64-bit values with full avalanche.
   *
   * @param z the input
   * @return the mixed value
   */
  public static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
    return z ^ (z >>> 31);
  }

  private static long absorbAddresses(long h, FlowKey key) {
    h = mix64(h ^ key.sourceAddressHigh());
    h = mix64(h ^ key.sourceAddressLow());
    h = mix64(h ^ key.destinationAddressHigh());
    return mix64(h ^ key.destinationAddressLow());
  }

  private static long ports(FlowKey key) {
    return ((long) key.sourcePort() << 16) | key.destinationPort();
  }
}
