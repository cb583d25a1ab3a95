package io.github.lb4j.nat.flow;

import io.github.lb4j.api.BackendLoad;
import io.github.lb4j.api.FlowHash;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.NanoClock;
import io.github.lb4j.api.SessionCounters;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.security.SecureRandom;

/**
 * The flow table of the packet core, the seed's session table (S3.2): which backend each flow was
 * given, its TCP state and deadline, room for the mode's translation, and packet and byte counts.
 *
 * <p><b>Layout.</b> One {@code long[]} of 8 words (64 bytes) per slot, no other per-flow memory:
 *
 * <pre>
 *  word 0  source address bits 127..64           (0 for IPv4)
 *  word 1  source address bits 63..0             (::ffff:a.b.c.d for IPv4)
 *  word 2  destination address bits 127..64
 *  word 3  destination address bits 63..0
 *  word 4  source port:16 | destination port:16 | protocol:8 | IPv6:1 | state:4 | backend handle:19
 *  word 5  deadline, seconds since the table's epoch:32 | reverse link: tag:5 | slot + 1:27
 *  word 6  reverse position:32 | translation:32
 *  word 7  packets:28 | bytes:36                 (saturating)
 * </pre>
 *
 * The key is the flow as the client sent it. The <em>reverse link</em> of a slot belongs to whichever
 * flow's reply key hashes near that slot: it is a second open-addressing index over the same slots,
 * so that modes whose replies pass the balancer find a flow from its reply without a second entry;
 * the <em>reverse position</em> tells a flow where its own link is, so freeing it clears the link.
 * The <em>translation</em> word is the mode's (for full NAT the source-NAT pool index and port).
 * Element 0 of the array is at byte 16 of the array object; 6 words of padding put slot 0 at byte 64,
 * which is a cache-line boundary when the JVM places a large array at a region start (G1 humongous
 * objects), so a slot never straddles two lines.
 *
 * <p><b>Hashing and probing.</b> A key hashes (five SplitMix64 lanes keyed by a random per-table seed, one
 * per address word and one for ports and protocol, folded by a final round, so that no one can aim flows
 * at one bucket) to two buckets, one per 32-bit half of the hash; it lives in one of the 8 slots of either
 * bucket (8-slot buckets aligned on 8 slots: a set-associative cache with two choices, as in two-choice
 * and bucketized cuckoo hashing; aligned buckets avoid the clustering of sliding windows). Lookups scan
 * both buckets side by side (slot i of each, then i + 1), so that their cache misses overlap; inserts take
 * a free slot in the emptier bucket, else the slot of an expired flow, else evict the oldest flow that may
 * be evicted ({@link FlowState#evictable}: any TCP state but ESTABLISHED, and ICMP), else move one
 * resident to its other bucket (one cuckoo step), else fail with {@link FlowCounter#TABLE_FULL}.
 * Established TCP and UDP flows are never evicted before their timeout. Measured: the first full bucket
 * appears at about 92% of the slots.
 *
 * <p><b>SYN floods.</b> Above {@link FlowTableConfig#newFlowRateLimit()} new flows per second,
 * {@link #open} refuses to create state ({@link #RATE_LIMITED}); the caller then forwards the flow
 * by consistent hash alone, as Katran does (its "LRU bypass"), so established flows keep their slots.
 *
 * <p><b>Time.</b> The clock is read every {@link FlowTableConfig#clockSampleInterval()} operations
 * (and by {@link #refreshClock()}); deadlines have one-second resolution. Each reading also sweeps
 * as many slots for expired flows, so that session counts of idle flows are released.
 *
 * <p><b>Sessions.</b> Opening a TCP flow counts an inactive session on the backend's {@link
 * BackendLoad}; reaching ESTABLISHED activates it; FIN or RST deactivates it; freeing it closes it.
 * UDP, ICMP and other flows are active sessions from open to free.
 *
 * <p><b>Threading.</b> One writer thread per table (the datapath worker that owns it) calls every
 * method except {@link #count}, {@link #size()} and {@link #capacity()}, which any thread may call
 * (counters are written with opaque stores). Never allocates after construction; never blocks.
 *
 * <p>References: IPVS connection table and timeouts (net/netfilter/ipvs/ip_vs_conn.c,
 * ip_vs_proto_tcp.c); Katran's LRU and its bypass under load (facebookincubator/katran,
 * balancer_kern.c); RFC 1624 is applied by the translators, not here.
 */
public final class FlowTable {

  /** {@link #lookup} found no live flow. */
  public static final int MISSING = -1;
  /** {@link #open} refused: the new-flow rate is above the limit. */
  public static final int RATE_LIMITED = -2;
  /** {@link #open} refused: the window is full of flows that may not be evicted. */
  public static final int FULL = -3;
  /** The number of slots a key may live in, from its home slot. */
  public static final int WINDOW = 8;
  private static final int LINK_SLOT_MASK = (1 << 27) - 1;

  /** The number of reverse-index positions a reply key may be linked at (two buckets). */
  public static final int REVERSE_CANDIDATES = 2 * WINDOW;
  /** The largest backend handle a slot can store. */
  public static final int MAX_HANDLE = (1 << 19) - 1;
  /** Bytes of table memory per slot. */
  public static final int BYTES_PER_SLOT = 64;

  private static final int STRIDE = 8;
  private static final int BASE = 6;
  private static final long KEY_MASK = 0xFFFF_FFFF_FF80_0000L;
  private static final int STATE_SHIFT = 19;
  private static final long STATE_MASK = 0xFL << STATE_SHIFT;
  private static final long HANDLE_MASK = MAX_HANDLE;
  private static final long REVERSE_SEED = 0x7265_7665_7273_6521L;
  private static final long FORWARD_SEED = 0x7461_626C_6505_0001L;
  /** The SplitMix64 increment (the golden ratio), between the lane keys of {@link #hash}. */
  private static final long LANE = 0x9E37_79B9_7F4A_7C15L;
  private static final long MAX_PACKETS = (1L << 28) - 1;
  private static final long MAX_BYTES = (1L << 36) - 1;
  private static final VarHandle COUNTS = MethodHandles.arrayElementVarHandle(long[].class);

  private final long[] slots;
  private final int mask;
  private final int bucketMask;
  private final long seed;
  private final long forwardLanes;
  private final long reverseLanes;
  private final NanoClock clock;
  private final long epochNanos;
  private final int[] timeouts;
  private final long rateLimit;
  private final int sampleMask;
  private final SessionCounters sessions;
  private final long[] counts = new long[FlowCounter.values().length + 1];
  private static final int SIZE = FlowCounter.values().length;

  private SlotMoveListener moveListener = (from, to, translation) -> { };
  private SlotFreeListener freeListener = (slot, translation) -> { };
  private int operations;
  private int now;
  private int rateSecond = -1;
  private long newFlowsThisSecond;
  private int sweepCursor;

  /**
   * Creates a table; allocates all of its memory ({@code capacity * 64} bytes).
   *
   * @param config the settings
   */
  public FlowTable(FlowTableConfig config) {
    int capacity = config.capacity();
    this.slots = new long[BASE + capacity * STRIDE];
    this.mask = capacity - 1;
    this.bucketMask = mask & ~(WINDOW - 1);
    this.seed = config.seed().isPresent() ? config.seed().getAsLong() : new SecureRandom().nextLong();
    this.forwardLanes = FlowHash.mix64(seed ^ FORWARD_SEED);
    this.reverseLanes = FlowHash.mix64(seed ^ REVERSE_SEED);
    this.clock = config.clock();
    this.epochNanos = clock.nanoTime();
    this.timeouts = new int[FlowState.COUNT];
    for (int s = 1; s < FlowState.COUNT; s++) {
      timeouts[s] = config.timeoutSeconds(s);
    }
    this.rateLimit = config.newFlowRateLimit();
    this.sampleMask = config.clockSampleInterval() - 1;
    this.sessions = config.sessions();
    this.now = 0;
  }

  /** {@return the number of slots} */
  public int capacity() {
    return mask + 1;
  }

  /** {@return bytes of flow memory: {@code capacity() * 64} plus the alignment padding} */
  public long memoryBytes() {
    return (long) slots.length * Long.BYTES;
  }

  /** {@return the hash seed of this table} */
  public long seed() {
    return seed;
  }

  /** {@return the number of live or not yet freed flows; any thread} */
  public long size() {
    return (long) COUNTS.getOpaque(counts, SIZE);
  }

  /**
   * Returns an event counter; any thread.
   *
   * @param counter which one
   * @return its value
   */
  public long count(FlowCounter counter) {
    return (long) COUNTS.getOpaque(counts, counter.ordinal());
  }

  private void add(int index, long delta) {
    COUNTS.setOpaque(counts, index, counts[index] + delta);
  }

  private void bump(FlowCounter c) {
    add(c.ordinal(), 1);
  }

  /**
   * Reads the clock now, releases the session counts of expired flows in the next slots, and
   * returns the current time in seconds since the table's epoch.
   *
   * @return seconds since the table was created
   */
  public int refreshClock() {
    now = (int) ((clock.nanoTime() - epochNanos) / 1_000_000_000L);
    sweep(sampleMask + 1);
    return now;
  }

  private void tick() {
    if ((++operations & sampleMask) == 0) {
      refreshClock();
    }
  }

  /** {@return the cached time in seconds since the table's epoch} */
  public int nowSeconds() {
    return now;
  }

  /**
   * Frees expired flows among the next {@code count} slots of a circular cursor.
   *
   * @param count slots to examine
   * @return flows freed
   */
  public int sweep(int count) {
    int freed = 0;
    int c = sweepCursor;
    for (int i = 0; i < count; i++) {
      c = (c + 1) & mask;
      int b = BASE + c * STRIDE;
      long w4 = slots[b + 4];
      if ((w4 & STATE_MASK) != 0 && expired(slots[b + 5])) {
        free(c);
        bump(FlowCounter.EXPIRED);
        freed++;
      }
    }
    sweepCursor = c;
    return freed;
  }

  private boolean expired(long w5) {
    return (int) (w5 >>> 32) - now <= 0;
  }

  /**
   * The table's hash over primitives, so that the key's accessors are read once whatever its class.
   * A chain of SplitMix64 rounds (one per field, as {@link FlowHash} absorbs) costs seven
   * multiply latencies in a row; here each field is mixed in a lane of its own keyed by the secret
   * {@code lanes} (the multiplier is pipelined, so the five lanes overlap) and one final round folds
   * them. Each lane is a keyed bijection of its field, so two keys collide only by chance unless
   * the seed is known.
   */
  static long hash(long lanes, int proto, boolean v6, long a0, long a1, long a2, long a3, int sport, int dport) {
    long x0 = FlowHash.mix64(lanes ^ a0);
    long x1 = FlowHash.mix64((lanes + LANE) ^ a1);
    long x2 = FlowHash.mix64((lanes + 2 * LANE) ^ a2);
    long x3 = FlowHash.mix64((lanes + 3 * LANE) ^ a3);
    long ports = (long) sport << 48 | (long) dport << 32 | proto << 1 | (v6 ? 1 : 0);
    long x4 = FlowHash.mix64((lanes + 4 * LANE) ^ ports);
    return FlowHash.mix64(x0 + Long.rotateLeft(x1, 13) + Long.rotateLeft(x2, 26) + Long.rotateLeft(x3, 39)
        + Long.rotateLeft(x4, 52));
  }

  private static long keyWord(FlowKey key) {
    return (long) key.sourcePort() << 48 | (long) key.destinationPort() << 32 | (long) key.protocolNumber() << 24
        | (key.isIpv6() ? 1L << 23 : 0L);
  }

  /**
   * Finds the live flow of a client-side key. A matching flow whose timeout passed is freed and
   * reported missing, so the caller schedules it anew (IPVS does the same).
   *
   * @param key the flow as the client sent it
   * @return the slot, or {@link #MISSING}
   */
  public int lookup(FlowKey key) {
    tick();
    long a0 = key.sourceAddressHigh();
    long a1 = key.sourceAddressLow();
    long a2 = key.destinationAddressHigh();
    long a3 = key.destinationAddressLow();
    int proto = key.protocolNumber();
    int sport = key.sourcePort();
    int dport = key.destinationPort();
    boolean v6 = key.isIpv6();
    long k4 = (long) sport << 48 | (long) dport << 32 | (long) proto << 24 | (v6 ? 1L << 23 : 0L);
    long hash = hash(forwardLanes, proto, v6, a0, a1, a2, a3, sport, dport);
    int slot = scan((int) hash & bucketMask, (int) (hash >>> 32) & bucketMask, k4, a0, a1, a2, a3);
    if (slot >= 0) {
      if (expired(slots[BASE + slot * STRIDE + 5])) {
        free(slot);
        bump(FlowCounter.EXPIRED);
      } else {
        bump(FlowCounter.HITS);
        return slot;
      }
    }
    bump(FlowCounter.MISSES);
    return MISSING;
  }

  /**
   * Scans both buckets of a key side by side: a flow sits in either, and slot i of the second bucket
   * is read with slot i of the first, so that the cache misses of the two buckets overlap instead of
   * the second bucket's waiting for all 8 lines of the first (and a miss reads both in 8 steps).
   */
  private int scan(int first, int second, long k4, long a0, long a1, long a2, long a3) {
    long[] s = slots;
    for (int i = 0; i < WINDOW; i++) {
      if (matches(s, BASE + (first + i) * STRIDE, k4, a0, a1, a2, a3)) {
        return first + i;
      }
      if (matches(s, BASE + (second + i) * STRIDE, k4, a0, a1, a2, a3)) {
        return second + i;
      }
    }
    return MISSING;
  }

  private static boolean matches(long[] s, int b, long k4, long a0, long a1, long a2, long a3) {
    long w4 = s[b + 4];
    return (w4 & KEY_MASK) == k4 && (w4 & STATE_MASK) != 0 && s[b + 1] == a1 && s[b + 3] == a3
        && s[b] == a0 && s[b + 2] == a2;
  }

  /**
   * Creates a flow after a {@link #lookup} missed. Counts the new flow against the rate limit;
   * takes a free slot of the window, else an expired flow's, else evicts the oldest evictable flow.
   *
   * @param key the flow as the client sent it
   * @param backendHandle the chosen backend's {@link BackendLoad#handle()}, 0..{@link #MAX_HANDLE}
   * @param state the initial {@link FlowState} (SYN_RECV for a SYN, UDP, ICMP, OTHER, or ESTABLISHED
   *     for a flow picked up mid-stream)
   * @param translation the mode's translation word
   * @return the slot, {@link #RATE_LIMITED} or {@link #FULL}; a slot index stays valid until the
   *     next {@code open}, which may move one flow to its other bucket
   */
  public int open(FlowKey key, int backendHandle, int state, int translation) {
    if (rateLimit > 0) {
      if (rateSecond != now) {
        rateSecond = now;
        newFlowsThisSecond = 0;
      }
      if (++newFlowsThisSecond > rateLimit) {
        bump(FlowCounter.RATE_LIMITED);
        return RATE_LIMITED;
      }
    }
    long hash = hash(forwardLanes, key.protocolNumber(), key.isIpv6(), key.sourceAddressHigh(), key.sourceAddressLow(),
        key.destinationAddressHigh(), key.destinationAddressLow(), key.sourcePort(), key.destinationPort());
    long[] s = slots;
    int free = -1;
    int expired = -1;
    int victim = -1;
    long victimDeadline = Long.MAX_VALUE;
    int mostFree = 0;
    for (int w = 0; w < 2; w++) {
      int h = (int) (w == 0 ? hash : hash >>> 32) & bucketMask;
      int firstFree = -1;
      int freeCount = 0;
      for (int i = 0; i < WINDOW; i++) {
        int slot = h + i;
        int b = BASE + slot * STRIDE;
        long w4 = s[b + 4];
        int st = (int) ((w4 & STATE_MASK) >>> STATE_SHIFT);
        if (st == FlowState.FREE) {
          if (freeCount++ == 0) {
            firstFree = slot;
          }
          continue;
        }
        long w5 = s[b + 5];
        if (expired == -1 && expired(w5)) {
          expired = slot;
        } else if (FlowState.evictable(st) && (w5 >>> 32) < victimDeadline) {
          victim = slot;
          victimDeadline = w5 >>> 32;
        }
      }
      // Balanced allocation (the emptier of the two buckets) keeps the fullest bucket near the mean.
      if (freeCount > mostFree) {
        mostFree = freeCount;
        free = firstFree;
      }
    }
    int slot;
    if (free >= 0) {
      slot = free;
      bump(FlowCounter.INSERTED);
    } else if (expired >= 0) {
      slot = expired;
      free(slot);
      bump(FlowCounter.EXPIRED);
      bump(FlowCounter.REUSED_EXPIRED);
    } else if (victim >= 0) {
      // Evicting costs one slot; a cuckoo move costs up to 16 rehashes and cache misses, which a
      // SYN flood would pay on every packet once the table is full of half-open flows.
      slot = victim;
      free(slot);
      bump(FlowCounter.EVICTED);
    } else if ((slot = displace(hash)) >= 0) {
      bump(FlowCounter.INSERTED);
    } else {
      bump(FlowCounter.TABLE_FULL);
      return FULL;
    }
    int b = BASE + slot * STRIDE;
    s[b] = key.sourceAddressHigh();
    s[b + 1] = key.sourceAddressLow();
    s[b + 2] = key.destinationAddressHigh();
    s[b + 3] = key.destinationAddressLow();
    s[b + 4] = keyWord(key) | (long) state << STATE_SHIFT | (backendHandle & HANDLE_MASK);
    s[b + 5] = (long) (now + timeouts[state]) << 32 | (s[b + 5] & 0xFFFF_FFFFL);
    s[b + 6] = translation & 0xFFFF_FFFFL;
    s[b + 7] = 0;
    add(SIZE, 1);
    BackendLoad load = sessions.byHandle(backendHandle);
    if (load != null) {
      if (FlowState.active(state)) {
        load.sessionOpened();
      } else {
        load.sessionOpenedInactive();
      }
    }
    return slot;
  }

  /**
   * One cuckoo step (Pagh and Rodler, "Cuckoo hashing", 2004, with buckets as in Fan et al.,
   * MemC3, NSDI'13): moves one resident of the two full buckets to a free slot of its other bucket
   * and returns the slot it left, or {@link #MISSING}.
   */
  private int displace(long hash) {
    long[] s = slots;
    for (int w = 0; w < 2; w++) {
      int h = (int) (w == 0 ? hash : hash >>> 32) & bucketMask;
      for (int i = 0; i < WINDOW; i++) {
        int from = h + i;
        int fb = BASE + from * STRIDE;
        long w4 = s[fb + 4];
        long rh = hash(forwardLanes, (int) (w4 >>> 24) & 0xFF, (w4 & (1L << 23)) != 0, s[fb], s[fb + 1],
            s[fb + 2], s[fb + 3], (int) (w4 >>> 48), (int) (w4 >>> 32) & 0xFFFF);
        int a = (int) rh & bucketMask;
        int alt = a == h ? (int) (rh >>> 32) & bucketMask : a;
        if (alt == h) {
          continue;
        }
        for (int j = 0; j < WINDOW; j++) {
          int to = alt + j;
          if ((s[BASE + to * STRIDE + 4] & STATE_MASK) == 0) {
            move(from, to);
            return from;
          }
        }
      }
    }
    return MISSING;
  }

  private void move(int from, int to) {
    long[] s = slots;
    int fb = BASE + from * STRIDE;
    int tb = BASE + to * STRIDE;
    for (int w = 0; w < 5; w++) {
      s[tb + w] = s[fb + w];
    }
    s[tb + 5] = (s[fb + 5] & 0xFFFF_FFFF_0000_0000L) | (s[tb + 5] & 0xFFFF_FFFFL);
    s[tb + 6] = s[fb + 6];
    s[tb + 7] = s[fb + 7];
    int revPos = (int) (s[fb + 6] >>> 32);
    if (revPos != 0) {
      int rb = BASE + (revPos - 1) * STRIDE;
      s[rb + 5] = (s[rb + 5] & ~(long) LINK_SLOT_MASK) | (to + 1);
    }
    s[fb + 4] = 0;
    s[fb + 6] = 0;
    moveListener.moved(from, to, (int) s[tb + 6]);
  }

  /**
   * Told when {@link #open} moves a flow to its other bucket, so that a mode keeping its own index
   * of slots (the source-NAT port owners) can follow. Called on the writer thread; must not allocate.
   */
  @FunctionalInterface
  public interface SlotMoveListener {
    /**
     * A flow moved.
     *
     * @param from its old slot
     * @param to its new slot
     * @param translation its translation word
     */
    void moved(int from, int to, int translation);
  }

  /**
   * Sets the listener told when a flow moves (one listener per table; the translator that owns it).
   *
   * @param listener the listener
   */
  public void onMove(SlotMoveListener listener) {
    this.moveListener = java.util.Objects.requireNonNull(listener, "listener");
  }

  /**
   * Told when a flow's slot is freed, whatever the cause (closed, expired on lookup or sweep, reused
   * when expired, evicted), so that a mode keeping resources per flow (the source-NAT ports) releases
   * them at once. Called on the writer thread, before the slot is cleared; must not allocate and must
   * not call back into the table.
   */
  @FunctionalInterface
  public interface SlotFreeListener {
    /**
     * A flow is being freed.
     *
     * @param slot its slot
     * @param translation its translation word
     */
    void freed(int slot, int translation);
  }

  /**
   * Sets the listener told when a flow is freed (one listener per table; the translator that owns it).
   *
   * @param listener the listener
   */
  public void onFree(SlotFreeListener listener) {
    this.freeListener = java.util.Objects.requireNonNull(listener, "listener");
  }

  /**
   * Records one packet of a flow: counts it, moves the TCP state on its flags, and pushes the
   * deadline out by the new state's timeout.
   *
   * <pre>
   *  SYN_RECV    --ACK (client)-->  ESTABLISHED    any --RST--> CLOSE
   *  ESTABLISHED --FIN-->           FIN_WAIT       FIN_WAIT --FIN--> TIME_WAIT
   *  TIME_WAIT, CLOSE --SYN (client)--> SYN_RECV (port reuse keeps the backend)
   * </pre>
   *
   * @param slot a slot returned by {@link #lookup} or {@link #open}
   * @param tcpFlags the segment's control bits, 0 for other protocols
   * @param fromClient whether the packet travels client to server
   * @param bytes the packet's length
   * @return the flow's state after the packet
   */
  public int touch(int slot, int tcpFlags, boolean fromClient, int bytes) {
    int b = BASE + slot * STRIDE;
    long[] s = slots;
    long w4 = s[b + 4];
    int state = (int) ((w4 & STATE_MASK) >>> STATE_SHIFT);
    int next = state;
    if (state <= FlowState.CLOSE && tcpFlags != 0) {
      next = nextTcpState(state, tcpFlags, fromClient);
      if (next != state) {
        s[b + 4] = (w4 & ~STATE_MASK) | (long) next << STATE_SHIFT;
        moveSession((int) (w4 & HANDLE_MASK), state, next);
      }
    }
    long w5 = s[b + 5];
    s[b + 5] = (long) (now + timeouts[next]) << 32 | (w5 & 0xFFFF_FFFFL);
    long w7 = s[b + 7];
    long packets = Math.min(MAX_PACKETS, (w7 >>> 36) + 1);
    long octets = Math.min(MAX_BYTES, (w7 & MAX_BYTES) + bytes);
    s[b + 7] = packets << 36 | octets;
    return next;
  }

  static int nextTcpState(int state, int flags, boolean fromClient) {
    if ((flags & 0x04) != 0) {
      return FlowState.CLOSE;
    }
    boolean syn = (flags & 0x02) != 0;
    boolean fin = (flags & 0x01) != 0;
    boolean ack = (flags & 0x10) != 0;
    switch (state) {
      case FlowState.SYN_RECV:
        if (fin) {
          return FlowState.FIN_WAIT;
        }
        return fromClient && ack && !syn ? FlowState.ESTABLISHED : state;
      case FlowState.ESTABLISHED:
        return fin ? FlowState.FIN_WAIT : state;
      case FlowState.FIN_WAIT:
        return fin ? FlowState.TIME_WAIT : state;
      case FlowState.TIME_WAIT:
      case FlowState.CLOSE:
        return fromClient && syn && !ack ? FlowState.SYN_RECV : state;
      default:
        return state;
    }
  }

  private void moveSession(int handle, int from, int to) {
    BackendLoad load = sessions.byHandle(handle);
    if (load == null) {
      return;
    }
    boolean wasActive = FlowState.active(from);
    boolean isActive = FlowState.active(to);
    if (!wasActive && isActive) {
      load.sessionActivated();
    } else if (wasActive && !isActive) {
      load.sessionDeactivated();
    }
  }

  /**
   * Frees a flow at once (for example after a RST when the caller does not want to wait for the
   * CLOSE timeout) and closes its session.
   *
   * @param slot a live slot
   */
  public void close(int slot) {
    if (state(slot) != FlowState.FREE) {
      free(slot);
      bump(FlowCounter.CLOSED);
    }
  }

  private void free(int slot) {
    int b = BASE + slot * STRIDE;
    long[] s = slots;
    long w4 = s[b + 4];
    int state = (int) ((w4 & STATE_MASK) >>> STATE_SHIFT);
    freeListener.freed(slot, (int) s[b + 6]);
    int revPos = (int) (s[b + 6] >>> 32);
    if (revPos != 0 && ((int) s[BASE + (revPos - 1) * STRIDE + 5] & LINK_SLOT_MASK) == slot + 1) {
      unlink(revPos - 1);
    }
    s[b + 4] = 0;
    s[b + 6] = 0;
    add(SIZE, -1);
    BackendLoad load = sessions.byHandle((int) (w4 & HANDLE_MASK));
    if (load != null) {
      load.sessionClosed(FlowState.active(state));
    }
  }

  /**
   * Clears the link at a position and moves the last link of its bucket into the hole, so that the
   * links of a bucket stay a prefix of it and a probe stops at the first position without a link
   * ({@link #reverseLinked}) instead of reading all 8 cache lines of the bucket.
   */
  private void unlink(int position) {
    long[] s = slots;
    int end = (position & ~(WINDOW - 1)) + WINDOW;
    int last = position;
    while (last + 1 < end && (int) s[BASE + (last + 1) * STRIDE + 5] != 0) {
      last++;
    }
    int pb = BASE + position * STRIDE;
    int lb = BASE + last * STRIDE;
    long link = s[lb + 5] & 0xFFFF_FFFFL;
    s[lb + 5] &= 0xFFFF_FFFF_0000_0000L;
    if (last == position) {
      return;
    }
    s[pb + 5] = (s[pb + 5] & 0xFFFF_FFFF_0000_0000L) | link;
    int mb = BASE + (((int) link & LINK_SLOT_MASK) - 1) * STRIDE;
    if ((int) (s[mb + 6] >>> 32) == last + 1) {
      s[mb + 6] = (long) (position + 1) << 32 | (s[mb + 6] & 0xFFFF_FFFFL);
    }
  }

  /**
   * Hashes a reply key (the flow as the backend sends it back) for the reverse index, with a seed of
   * its own. The reverse index has two 8-link buckets per key, like the flows.
   *
   * @param replyKey the reply's flow
   * @return the reverse hash, for {@link #linkReverse} and {@link #reverseCandidate}
   */
  public long reverseHash(FlowKey replyKey) {
    return hash(reverseLanes, replyKey.protocolNumber(), replyKey.isIpv6(), replyKey.sourceAddressHigh(),
        replyKey.sourceAddressLow(), replyKey.destinationAddressHigh(), replyKey.destinationAddressLow(),
        replyKey.sourcePort(), replyKey.destinationPort());
  }

  /**
   * Links a flow into the reverse index, in the emptier of its reply key's two buckets; the flow
   * unlinks itself when freed.
   *
   * @param slot the flow
   * @param reverseHash {@link #reverseHash} of its reply key
   * @return whether a link was free (otherwise replies of this flow find no state)
   */
  public boolean linkReverse(int slot, long reverseHash) {
    long[] s = slots;
    int best = -1;
    int most = 0;
    for (int w = 0; w < 2; w++) {
      int h = (int) (w == 0 ? reverseHash : reverseHash >>> 32) & bucketMask;
      int first = -1;
      int count = 0;
      for (int i = 0; i < WINDOW; i++) {
        int r = h + i;
        if ((int) s[BASE + r * STRIDE + 5] == 0 && count++ == 0) {
          first = r;
        }
      }
      if (count > most) {
        most = count;
        best = first;
      }
    }
    if (best < 0) {
      return false;
    }
    int rb = BASE + best * STRIDE;
    s[rb + 5] = (s[rb + 5] & 0xFFFF_FFFF_0000_0000L) | (linkTag(reverseHash) | (slot + 1)) & 0xFFFF_FFFFL;
    int b = BASE + slot * STRIDE;
    s[b + 6] = (long) (best + 1) << 32 | (s[b + 6] & 0xFFFF_FFFFL);
    return true;
  }

  /** Five bits of the reply hash kept in the link, so that most wrong candidates are skipped unread. */
  private static int linkTag(long reverseHash) {
    return (int) (reverseHash >>> 59) << 27;
  }

  /**
   * Returns the flow linked at position {@code i} of a reply key's two reverse buckets; the caller
   * checks whether that flow's reply key is the one it looks for (only the mode knows how a reply is
   * translated).
   *
   * @param reverseHash {@link #reverseHash} of the reply key
   * @param i 0..{@link #REVERSE_CANDIDATES}-1
   * @return a live slot, or {@link #MISSING}
   */
  public int reverseCandidate(long reverseHash, int i) {
    int link = link(reverseHash, i);
    if (link == 0 || (link & ~LINK_SLOT_MASK) != linkTag(reverseHash)) {
      return MISSING;
    }
    int slot = (link & LINK_SLOT_MASK) - 1;
    if ((slots[BASE + slot * STRIDE + 4] & STATE_MASK) == 0) {
      return MISSING;
    }
    return slot;
  }

  /**
   * Tells whether position {@code i} of a reply key's two reverse buckets holds a link. The links of
   * a bucket are kept a prefix of it, so the first position without one ends that bucket: a probe
   * skips to the second bucket (from {@code i < WINDOW}) or stops, and reads fewer cache lines.
   *
   * @param reverseHash {@link #reverseHash} of the reply key
   * @param i 0..{@link #REVERSE_CANDIDATES}-1
   * @return whether a link (of any flow) is there
   */
  public boolean reverseLinked(long reverseHash, int i) {
    return link(reverseHash, i) != 0;
  }

  private int link(long reverseHash, int i) {
    int h = (int) (i < WINDOW ? reverseHash : reverseHash >>> 32) & bucketMask;
    return (int) slots[BASE + (h + (i & (WINDOW - 1))) * STRIDE + 5];
  }

  /**
   * Tells whether a live flow's timeout passed (reply lookups check it; the next client lookup or
   * sweep frees it).
   *
   * @param slot a live slot
   * @return whether it expired
   */
  public boolean isExpired(int slot) {
    return expired(slots[BASE + slot * STRIDE + 5]);
  }

  /**
   * Returns a flow's state.
   *
   * @param slot a slot
   * @return a {@link FlowState} code, FREE for an empty slot
   */
  public int state(int slot) {
    return (int) ((slots[BASE + slot * STRIDE + 4] & STATE_MASK) >>> STATE_SHIFT);
  }

  /**
   * Returns a flow's backend handle.
   *
   * @param slot a live slot
   * @return the {@link BackendLoad#handle()} given to {@link #open}
   */
  public int backend(int slot) {
    return (int) (slots[BASE + slot * STRIDE + 4] & HANDLE_MASK);
  }

  /**
   * Returns a flow's translation word.
   *
   * @param slot a live slot
   * @return the mode's 32 bits
   */
  public int translation(int slot) {
    return (int) slots[BASE + slot * STRIDE + 6];
  }

  /**
   * Sets a flow's translation word.
   *
   * @param slot a live slot
   * @param translation the mode's 32 bits
   */
  public void translation(int slot, int translation) {
    int b = BASE + slot * STRIDE;
    slots[b + 6] = (slots[b + 6] & 0xFFFF_FFFF_0000_0000L) | (translation & 0xFFFF_FFFFL);
  }

  /**
   * Returns seconds until a flow's deadline.
   *
   * @param slot a live slot
   * @return seconds, 0 or less when expired
   */
  public int secondsLeft(int slot) {
    return (int) (slots[BASE + slot * STRIDE + 5] >>> 32) - now;
  }

  /**
   * Returns a flow's packet count (saturates at 2^28 - 1).
   *
   * @param slot a live slot
   * @return packets seen
   */
  public long packets(int slot) {
    return slots[BASE + slot * STRIDE + 7] >>> 36;
  }

  /**
   * Returns a flow's byte count (saturates at 2^36 - 1).
   *
   * @param slot a live slot
   * @return bytes seen
   */
  public long bytes(int slot) {
    return slots[BASE + slot * STRIDE + 7] & MAX_BYTES;
  }

  /**
   * Returns a word of a flow's key (0..3: source high, source low, destination high, destination
   * low), for modes that rebuild a reply key from the flow.
   *
   * @param slot a live slot
   * @param word 0..3
   * @return the address half
   */
  public long address(int slot, int word) {
    return slots[BASE + slot * STRIDE + (word & 3)];
  }

  /**
   * Returns a flow's client-side source port.
   *
   * @param slot a live slot
   * @return 0..65535
   */
  public int sourcePort(int slot) {
    return (int) (slots[BASE + slot * STRIDE + 4] >>> 48);
  }

  /**
   * Returns a flow's client-side destination port.
   *
   * @param slot a live slot
   * @return 0..65535
   */
  public int destinationPort(int slot) {
    return (int) (slots[BASE + slot * STRIDE + 4] >>> 32) & 0xFFFF;
  }

  /**
   * Returns a flow's protocol.
   *
   * @param slot a live slot
   * @return the IANA number
   */
  public int protocol(int slot) {
    return (int) (slots[BASE + slot * STRIDE + 4] >>> 24) & 0xFF;
  }

  /**
   * Tells whether a flow is IPv6.
   *
   * @param slot a live slot
   * @return whether it is IPv6
   */
  public boolean ipv6(int slot) {
    return (slots[BASE + slot * STRIDE + 4] & (1L << 23)) != 0;
  }
}
