package io.github.lb4j.nat;

/**
 * Builds the translator of a forwarding mode. Control plane: allocates the flow table and the
 * source-NAT port maps; any thread; never blocks.
 */
public final class NatTranslators {

  private NatTranslators() {}

  /**
   * Creates the translator for {@code config.mode()}.
   *
   * @param config the balancer's configuration
   * @return a translator owning a new flow table; one datapath thread uses it
   */
  public static PacketTranslator create(NatConfig config) {
    switch (config.mode()) {
      case TRANSPARENT:
        return new TransparentTranslator(config);
      case ROUTER:
        return new RouterTranslator(config);
      case DSR_L2:
        return new DsrL2Translator(config);
      case DSR_IPIP:
        return new DsrIpipTranslator(config);
      case DSR_DSCP:
        return new DsrDscpTranslator(config);
      case FULL_NAT:
        return new FullNatTranslator(config);
      default:
        throw new IllegalArgumentException("unknown mode " + config.mode());
    }
  }
}
