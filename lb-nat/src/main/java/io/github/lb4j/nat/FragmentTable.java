package io.github.lb4j.nat;

import io.github.lb4j.api.NanoClock;

/**
 * The datagrams whose first fragment was balanced, so that later fragments (without ports) reach
 * the same backend: a fixed-size direct-mapped table of primitive arrays keyed by family, protocol,
 * source and destination address and IP identification; a colliding datagram overwrites the older
 * entry (its later fragments are then dropped, as a lost fragment would make the datagram fail to
 * reassemble anyway). Entries expire after a timeout of the order of the RFC 791 reassembly timer.
 *
 * <p>One thread (the datapath worker); never allocates after construction; never blocks.
 */
final class FragmentTable {

  private static final long EMPTY = 0;

  private final int mask;
  private final long timeoutNanos;
  private final NanoClock clock;
  private final long[] srcHi;
  private final long[] srcLo;
  private final long[] dstHi;
  private final long[] dstLo;
  /** family (bit 8), protocol (bits 0..7); 0 marks a free entry together with {@link #expires}. */
  private final int[] meta;
  private final int[] id;
  private final int[] handle;
  private final long[] expires;

  FragmentTable(int capacity, long timeoutNanos, NanoClock clock) {
    this.mask = capacity - 1;
    this.timeoutNanos = timeoutNanos;
    this.clock = clock;
    srcHi = new long[capacity];
    srcLo = new long[capacity];
    dstHi = new long[capacity];
    dstLo = new long[capacity];
    meta = new int[capacity];
    id = new int[capacity];
    handle = new int[capacity];
    expires = new long[capacity];
  }

  /**
   * Records the backend chosen for a datagram's first fragment, overwriting whatever held its entry.
   */
  void put(boolean six, int proto, long sHi, long sLo, long dHi, long dLo, int ident, int backend) {
    int m = meta(six, proto);
    int i = index(m, sHi, sLo, dHi, dLo, ident);
    srcHi[i] = sHi;
    srcLo[i] = sLo;
    dstHi[i] = dHi;
    dstLo[i] = dLo;
    meta[i] = m;
    id[i] = ident;
    handle[i] = backend;
    long e = clock.nanoTime() + timeoutNanos;
    expires[i] = e == EMPTY ? 1 : e;
  }

  /** Returns the backend of a datagram's first fragment, or -1 when not seen or expired. */
  int get(boolean six, int proto, long sHi, long sLo, long dHi, long dLo, int ident) {
    int m = meta(six, proto);
    int i = index(m, sHi, sLo, dHi, dLo, ident);
    if (meta[i] != m || id[i] != ident || srcHi[i] != sHi || srcLo[i] != sLo || dstHi[i] != dHi || dstLo[i] != dLo) {
      return -1;
    }
    if (expires[i] == EMPTY || clock.nanoTime() - expires[i] >= 0) {
      meta[i] = 0;
      expires[i] = EMPTY;
      return -1;
    }
    return handle[i];
  }

  private static int meta(boolean six, int proto) {
    return (six ? 0x200 : 0x100) | proto;
  }

  private int index(int m, long sHi, long sLo, long dHi, long dLo, int ident) {
    long h = sHi * 0x9E3779B97F4A7C15L ^ sLo;
    h = (h ^ (h >>> 29)) * 0xBF58476D1CE4E5B9L ^ dHi;
    h = (h ^ (h >>> 31)) * 0x94D049BB133111EBL ^ dLo;
    h = (h ^ (h >>> 29)) * 0x9E3779B97F4A7C15L ^ ((long) m << 32 | (ident & 0xFFFF_FFFFL));
    h = (h ^ (h >>> 32)) * 0xBF58476D1CE4E5B9L;
    return (int) (h ^ (h >>> 32)) & mask;
  }
}
