package io.github.lb4j.nat;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.MutableFlowKey;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.nat.header.FrameParser;

/**
 * Which backend an IP fragment goes to. {@link FragmentPolicy#FOLLOW_FIRST}: the first fragment is
 * balanced by its full flow and recorded with its backend and VIP in the {@link FragmentTable}; a
 * later fragment (no transport header, so no port) follows it. {@link FragmentPolicy#HASH_THREE_TUPLE}:
 * every fragment is balanced on protocol and addresses alone.
 *
 * <p>One thread (the translator's); never allocates; never blocks.
 */
final class Fragments {

  private static final int VIP_SHIFT = 19;
  private static final int HANDLE_MASK = (1 << VIP_SHIFT) - 1;

  private final boolean followFirst;
  private final FragmentTable table;
  private final Scheduler scheduler;
  private final Backends backends;
  private final MutableFlowKey key = new MutableFlowKey();

  Fragments(NatConfig config, Scheduler scheduler, Backends backends) {
    this.followFirst = config.fragments() == FragmentPolicy.FOLLOW_FIRST;
    this.table = new FragmentTable(followFirst ? config.fragmentTableCapacity() : 1, config.fragmentTimeoutNanos(),
        config.flowTable().clock());
    this.scheduler = scheduler;
    this.backends = backends;
  }

  boolean followFirst() {
    return followFirst;
  }

  /** Records a forwarded first fragment's choice; addresses as the client sent them. */
  void recordFirst(boolean six, int proto, long srcHi, long srcLo, long dstHi, long dstLo, int identification,
      int handle, int vip) {
    table.put(six, proto, srcHi, srcLo, dstHi, dstLo, identification, vip << VIP_SHIFT | handle);
  }

  /**
   * The choice of a later fragment's first fragment, as {@code vip << 19 | handle}, or -1 when
   * none was recorded (or it expired, or was overwritten).
   */
  int follow(FrameParser p) {
    int entry = table.get(p.isIpv6(), p.protocolNumber(), p.sourceAddressHigh(), p.sourceAddressLow(),
        p.destinationAddressHigh(), p.destinationAddressLow(), p.fragmentIdentification());
    return entry >= 0 && backends.known(entry & HANDLE_MASK) ? entry : -1;
  }

  static int handle(int entry) {
    return entry & HANDLE_MASK;
  }

  static int vip(int entry) {
    return entry >>> VIP_SHIFT;
  }

  /** The backend of a fragment balanced on protocol and addresses, or -1 when the scheduler has none. */
  int hash(FrameParser p) {
    if (p.isIpv6()) {
      key.setV6(p.protocolNumber(), p.sourceAddressHigh(), p.sourceAddressLow(), 0, p.destinationAddressHigh(),
          p.destinationAddressLow(), 0);
    } else {
      key.setV4(p.protocolNumber(), p.sourceAddressV4(), 0, p.destinationAddressV4(), 0);
    }
    Backend be = scheduler.select(key);
    return be == null ? -1 : backends.handleOf(be);
  }
}
