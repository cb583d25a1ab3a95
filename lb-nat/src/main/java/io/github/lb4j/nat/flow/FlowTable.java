package io.github.lb4j.nat.flow;

import io.github.lb4j.api.BackendLoad;
import io.github.lb4j.api.Direction;
import io.github.lb4j.api.FlowHash;
import io.github.lb4j.api.FlowKey;
import io.github.lb4j.api.NanoClock;
import io.github.lb4j.api.SessionCounters;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;

/**
 * The flow table of the packet core, the seed's session table (S3.2): which backend each flow was
 * given, its TCP state and when it was last seen, room for the mode's translation; per-backend packet
 * and byte counters beside it.
 *
 * <p><b>Layout.</b> One {@code long[]} of 32-byte slots, two per 64-byte cache line; a line is the
 * bucket of the hash. An IPv4 flow takes one slot, an IPv6 flow a whole line (both slots):
 *
 * <pre>
 *  IPv4 slot (4 words)                                 IPv6 line (8 words)
 *  w0  client address:32 | client port:16 | proto:8 | 0 | 1   w0  0:32 | client port:16 | proto:8 | 2 | 1
 *  w1  destination:32 | dport:16 | state:4 | flags:4 | seen:2 | 0   w1  0:32 | dport:16 | (as IPv4)
 *  w2  last seen, seconds:32 | backend handle:32      w2, w3  as IPv4
 *  w3  open sequence:32 | translation:32             w4..w7  client high, low; destination high, low
 * </pre>
 *
 * Flags: replied (a packet came back from the server); seen counts the first packets (saturating at 3). The client side of the key, (protocol, client
 * address, client port), is all that is hashed, as IPVS hashes connections (ip_vs_conn.c,
 * {@code ip_vs_conn_hashkey_param}): a reply, whose destination is the client, finds its flow
 * through the same two lines as a request, so there is no second index and no second entry.
 * Element 0 of the array is at byte 16 of the array object; 6 words of padding put slot 0 at byte 64,
 * which is a cache-line boundary when the JVM places a large array at a region start (G1 humongous
 * objects), so a slot never straddles two lines.
 *
 * <p><b>Hashing and probing.</b> Each key has two candidate lines, {@code (h * m1) >>> s} and
 * {@code (h * m2) >>> s} with {@code h = x * m0 ^ (x * m0) >>> 29}, where {@code x} is the client side
 * in one 64-bit word (IPv4; IPv6 first folds its address with two keyed SplitMix64 rounds) and the
 * {@code m} are random odd multipliers drawn per table: two multiplies for the first line, a third
 * for the second line only when the first does not hold the flow. {@code x -> h} is a bijection
 * and the last step is multiply-shift hashing, which is universal (Dietzfelbinger et al., "A reliable randomized
 * algorithm for the closest-pair problem", J. Algorithms 1997): whoever does not know the multipliers
 * cannot choose keys that share lines more often than chance, so a flood cannot be aimed. A lookup
 * reads the first line (two 2-word compares) and the second only when the flow is not in the first:
 * at the recommended load (capacity twice the flows) about 88% of the flows sit in their first line,
 * so a lookup reads one cache line in the common case and at most two. Inserts take a free slot of the
 * first line, else of the second, else an expired flow's slot, else evict the flow that matters least
 * (below), else move flows between their two lines along a short path (bucketized cuckoo hashing,
 * Pagh and Rodler 2004; the breadth-first search of MemC3, Fan et al., NSDI'13; paths of up to five
 * moves) to a free, expired or evictable slot, else fail with {@link #FULL}. Measured: the first
 * refusal of a table of established flows comes at 81% to 85% of its slots.
 *
 * <p><b>No writes on the hit path.</b> A packet of a known flow writes its line only when something
 * changes: the TCP state, the replied flag, the first three packets, and the last-seen time, which has
 * one-second resolution and so is written at most once per second per flow. Expiry is lazy (a lookup
 * that finds an expired flow frees it, as IPVS does) and swept off the hot path: every clock reading
 * advances a cursor over the table at the pace of {@link FlowTableConfig#sweepPeriod()}, so idle flows
 * release their session counts within one period whatever the traffic. Per-flow packet and byte counts
 * are not kept (they would write every packet's line); the per-backend counters ({@link
 * #backendPackets}, {@link #backendBytes}) are, as IPVS keeps per-destination statistics and Katran
 * per-real statistics, in a small array that stays in the first-level cache.
 *
 * <p><b>When full, and SYN floods.</b> A full set of lines gives up, in this order, an expired flow, a
 * half-open flow that never saw a reply, and then any other evictable flow ({@link
 * FlowState#evictable}); the oldest first (by open order for half-open flows, whose last-seen times are
 * equal under a flood; by last-seen time for the others). No flow is evicted before a quarter of the
 * table's capacity of newer flows (in slots) has been opened after it: a new flow whose candidates are
 * all that young is refused ({@link #FULL}) rather than displace them, so a handshake in progress
 * survives a flood for that long (1M slots: 262,144 new flows; at a million SYNs a second, a quarter
 * of a second), and under a flood three quarters of a table's slots are old enough to be given up,
 * so a new flow is refused only when all four of its candidates are young (about 0.4%). When the
 * candidates left are flows that may not be evicted, one of them moves to another of its lines if an older victim or a free slot lies
 * there, so a young half-open flow is not given up while an older one could be.
 * Established TCP and UDP flows are never evicted before their timeout. Linux conntrack's early drop
 * also evicts only entries that have not seen a reply ("not assured"). Above {@link
 * FlowTableConfig#newFlowRateLimit()} new flows per second, {@link #open} refuses state ({@link
 * #RATE_LIMITED}): where replies bypass the balancer the caller forwards by consistent hash alone, as
 * Katran does; where replies pass the balancer they need state to be translated, so the caller asks for
 * {@link #admit} instead, which keeps state for it (see there: the limit cannot shed state that replies
 * need; eviction of unreplied half-open flows absorbs the flood).
 *
 * <p><b>Sessions.</b> Opening a TCP flow counts an inactive session on the backend's {@link
 * BackendLoad}; reaching ESTABLISHED activates it; FIN or RST deactivates it; freeing it closes it.
 * UDP, ICMP and other flows are active sessions from open to free.
 *
 * <p><b>Threading.</b> One writer thread per table (the datapath worker that owns it) calls every
 * method except {@link #count}, {@link #size()}, {@link #capacity()}, {@link #backendPackets} and
 * {@link #backendBytes}, which any thread may call (counters are written with opaque stores). Never
 * allocates after construction, except to grow the per-backend counters the first time a backend
 * handle beyond them is opened; never blocks.
 *
 * <p>References: IPVS connection table, hashing and timeouts (net/netfilter/ipvs/ip_vs_conn.c,
 * ip_vs_proto_tcp.c); Katran's LRU and its bypass under load (facebookincubator/katran,
 * balancer_kern.c); Linux conntrack early drop (net/netfilter/nf_conntrack_core.c).
 */
public final class FlowTable {

  /** {@link #lookup} found no live flow. */
  public static final int MISSING = -1;
  /** {@link #open} refused: the new-flow rate is above the limit. */
  public static final int RATE_LIMITED = -2;
  /** {@link #open} refused: the key's lines hold only flows that may not be evicted or moved. */
  public static final int FULL = -3;
  /** Half the candidate positions of a key ({@link #REVERSE_CANDIDATES}). */
  public static final int WINDOW = 4;
  /**
   * The positions a key's flow may be in: both slots of each candidate line (two lines for an IPv4
   * flow, four for an IPv6 flow, which fills a line).
   */
  public static final int REVERSE_CANDIDATES = 2 * WINDOW;
  private static final int V6_LINES = 4;
  /** The largest backend handle a slot can store. */
  public static final int MAX_HANDLE = (1 << 19) - 1;
  /** Bytes of table memory per slot (an IPv4 flow; an IPv6 flow takes two). */
  public static final int BYTES_PER_SLOT = 32;

  private static final int STRIDE = 4;
  private static final int LINE = 2 * STRIDE;
  private static final int BASE = 6;
  private static final long OCCUPIED = 1L;
  private static final long V6 = 2L;
  private static final long DEST_MASK = 0xFFFF_FFFF_FFFF_0000L;
  private static final int STATE_SHIFT = 12;
  private static final long STATE_MASK = 0xFL << STATE_SHIFT;
  private static final long REPLIED = 1L << 11;
  private static final int SEEN_SHIFT = 6;
  private static final long SEEN_MASK = 3L << SEEN_SHIFT;
  private static final long LOW = 0xFFFF_FFFFL;
  private static final long FOLD_SEED = 0x7461_626C_6506_0001L;
  private static final int MAX_PATH = 5;
  private static final int QUEUE = 128;
  private static final VarHandle COUNTS = MethodHandles.arrayElementVarHandle(long[].class);

  private final long[] slots;
  private final int lineMask;
  private final int shift;
  private final long seed;
  private final long m0;
  private final long m1;
  private final long m2;
  private final long[] m6 = new long[V6_LINES];
  private final long foldHigh;
  private final long foldLow;
  private final NanoClock clock;
  private final long epochNanos;
  private final int[] timeouts;
  private final long rateLimit;
  private final int sampleMask;
  private final double linesPerNano;
  private final SessionCounters sessions;
  private final long[] counts = new long[FlowCounter.values().length + 1];
  private static final int SIZE = FlowCounter.values().length;
  private final int[] queueSlot = new int[QUEUE];
  private final int[] queueParent = new int[QUEUE];
  private final int[] queueDepth = new int[QUEUE];

  private long[] backendCounts = new long[4 * 64];
  private SlotMoveListener moveListener = (from, to, translation) -> { };
  private SlotFreeListener freeListener = (slot, translation) -> { };
  private int operations;
  private int now;
  /** Slots opened so far (an IPv6 flow counts two): the clock of flow ages for eviction. */
  private int openSequence;
  private final int youngSlots;
  private int rateSecond = -1;
  private long newFlowsThisSecond;
  private int sweepLine;
  private long sweptLines;

  /**
   * Creates a table; allocates all of its memory ({@code capacity * 32} bytes).
   *
   * @param config the settings
   */
  public FlowTable(FlowTableConfig config) {
    int capacity = config.capacity();
    int lines = capacity / 2;
    this.slots = new long[BASE + capacity * STRIDE];
    this.lineMask = lines - 1;
    this.shift = 64 - Integer.numberOfTrailingZeros(lines);
    this.seed = config.seed().isPresent() ? config.seed().getAsLong() : new SecureRandom().nextLong();
    this.m0 = FlowHash.mix64(seed ^ 0x6D30_0000_0000_0000L) | 1;
    this.m1 = FlowHash.mix64(seed ^ 0x6D31_0000_0000_0001L) | 1;
    this.m2 = FlowHash.mix64(seed ^ 0x6D32_0000_0000_0002L) | 1;
    m6[0] = m1;
    m6[1] = m2;
    m6[2] = FlowHash.mix64(seed ^ 0x6D33_0000_0000_0003L) | 1;
    m6[3] = FlowHash.mix64(seed ^ 0x6D34_0000_0000_0004L) | 1;
    this.foldHigh = FlowHash.mix64(seed ^ FOLD_SEED);
    this.foldLow = FlowHash.mix64(foldHigh ^ FOLD_SEED);
    this.clock = config.clock();
    this.epochNanos = clock.nanoTime();
    this.timeouts = new int[FlowState.COUNT];
    for (int s = 1; s < FlowState.COUNT; s++) {
      timeouts[s] = config.timeoutSeconds(s);
    }
    this.rateLimit = config.newFlowRateLimit();
    this.sampleMask = config.clockSampleInterval() - 1;
    this.linesPerNano = (double) lines / config.sweepPeriod().toNanos();
    this.sessions = config.sessions();
    this.youngSlots = capacity / 4;
  }

  /** {@return the number of 32-byte slots (IPv4 flows; an IPv6 flow takes two)} */
  public int capacity() {
    return (lineMask + 1) * 2;
  }

  /** {@return bytes of flow memory: {@code capacity() * 32} plus the alignment padding} */
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
   * Packets counted for a backend in one direction (requests towards it, replies from it); any thread.
   *
   * @param handle a {@link BackendLoad#handle()}
   * @param direction which way
   * @return packets, 0 for a handle never opened
   */
  public long backendPackets(int handle, Direction direction) {
    return backendCounter(4 * handle + (direction == Direction.CLIENT_TO_SERVER ? 0 : 2));
  }

  /**
   * Bytes (whole frames) counted for a backend in one direction; any thread.
   *
   * @param handle a {@link BackendLoad#handle()}
   * @param direction which way
   * @return bytes, 0 for a handle never opened
   */
  public long backendBytes(int handle, Direction direction) {
    return backendCounter(4 * handle + (direction == Direction.CLIENT_TO_SERVER ? 1 : 3));
  }

  private long backendCounter(int i) {
    long[] c = backendCounts;
    return i >= 0 && i < c.length ? (long) COUNTS.getOpaque(c, i) : 0;
  }

  /**
   * Reads the clock now, frees expired flows over the share of the table due since the last
   * reading (the whole table once per {@link FlowTableConfig#sweepPeriod()}, at most 1024 lines per
   * reading), and returns the current time.
   *
   * @return seconds since the table was created
   */
  public int refreshClock() {
    long elapsed = clock.nanoTime() - epochNanos;
    now = (int) (elapsed / 1_000_000_000L);
    long due = (long) (elapsed * linesPerNano) - sweptLines;
    if (due > 0) {
      int n = (int) Math.min(due, 1024);
      sweepLines(n);
      sweptLines += n;
    }
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
   * Frees expired flows among the next {@code count} slots of the sweep's circular cursor.
   *
   * @param count slots to examine
   * @return flows freed
   */
  public int sweep(int count) {
    return sweepLines((count + 1) / 2);
  }

  private int sweepLines(int count) {
    int freed = 0;
    int line = sweepLine;
    long[] s = slots;
    for (int i = 0; i < count; i++) {
      line = (line + 1) & lineMask;
      int b = BASE + line * LINE;
      long a = s[b];
      if (a != 0 && expired(s, b)) {
        free(2 * line);
        bump(FlowCounter.EXPIRED);
        freed++;
      }
      if ((a & V6) == 0 && s[b + STRIDE] != 0 && expired(s, b + STRIDE)) {
        free(2 * line + 1);
        bump(FlowCounter.EXPIRED);
        freed++;
      }
    }
    sweepLine = line;
    return freed;
  }

  /** Whether the flow at array index b passed its state's timeout since it was last seen. */
  private boolean expired(long[] s, int b) {
    int state = (int) ((s[b + 1] & STATE_MASK) >>> STATE_SHIFT);
    return now - (int) (s[b + 2] >>> 32) >= timeouts[state];
  }

  // ---------------------------------------------------------------- keys and hashing

  private static long keyV4(int proto, int client, int clientPort) {
    return (client & LOW) << 32 | (long) clientPort << 16 | (long) proto << 8 | OCCUPIED;
  }

  private static long keyV6(int proto, int clientPort) {
    return (long) clientPort << 16 | (long) proto << 8 | V6 | OCCUPIED;
  }

  private static long destinationV4(int destination, int destinationPort) {
    return (long) destination << 32 | (long) destinationPort << 16;
  }

  /** The 64-bit word hashed for an IPv6 client side: its address folded by two keyed rounds. */
  private long foldV6(long key0, long high, long low) {
    return FlowHash.mix64(foldHigh ^ high) + Long.rotateLeft(FlowHash.mix64(foldLow ^ low), 17) + key0;
  }

  /**
   * The scrambled client word both lines are taken from: multiply, then fold the high half into the
   * low. Multiply-shift straight on the word gave keys in arithmetic progression (one client's
   * consecutive ports) line pairs on a lattice, and a table of them filled to 14% for some
   * multipliers; after this step they look random to the second multiply.
   */
  private long scramble(long x) {
    long h = x * m0;
    return h ^ (h >>> 29);
  }

  private int line1(long x) {
    return (int) ((scramble(x) * m1) >>> shift);
  }

  private int line2(long x) {
    return (int) ((scramble(x) * m2) >>> shift);
  }

  /** Candidate line i (0..3) of an IPv6 key: a flood has as many choices to get past as for IPv4. */
  private int lineV6(long x, int i) {
    return (int) ((scramble(x) * m6[i]) >>> shift);
  }

  /** The word hashed for a live flow's client side (its key word for IPv4). */
  private long hashWord(int slot) {
    int b = BASE + slot * STRIDE;
    long k = slots[b];
    return (k & V6) == 0 ? k : foldV6(k, slots[b + STRIDE], slots[b + STRIDE + 1]);
  }

  // ---------------------------------------------------------------- lookups

  /**
   * Finds the live flow of a client-side key. A matching flow whose timeout passed is freed and
   * reported missing, so the caller schedules it anew (IPVS does the same).
   *
   * @param key the flow as the client sent it
   * @return the slot, or {@link #MISSING}
   */
  public int lookup(FlowKey key) {
    if (!key.isIpv6()) {
      return lookupIpv4(key.protocolNumber(), (int) key.sourceAddressLow(), key.sourcePort(),
          (int) key.destinationAddressLow(), key.destinationPort());
    }
    return lookupIpv6(key);
  }

  /** Kept out of {@link #lookup} so that the IPv4 path stays small enough to be inlined. */
  private int lookupIpv6(FlowKey key) {
    tick();
    int proto = key.protocolNumber();
    int sport = key.sourcePort();
    long sh = key.sourceAddressHigh();
    long sl = key.sourceAddressLow();
    long dh = key.destinationAddressHigh();
    long dl = key.destinationAddressLow();
    long k0 = keyV6(proto, sport);
    long k1 = (long) key.destinationPort() << 16;
    long x = foldV6(k0, sh, sl);
    int slot = MISSING;
    for (int i = 0; i < V6_LINES && slot < 0; i++) {
      slot = findV6(lineV6(x, i), k0, k1, sh, sl, dh, dl);
    }
    return found(slot);
  }

  /**
   * {@link #lookup} of an IPv4 flow from its fields, without a {@link FlowKey}.
   *
   * @param proto the IANA protocol number
   * @param client the client's IPv4 address
   * @param clientPort the client's port (the echo identifier for ICMP)
   * @param destination the destination (VIP) address
   * @param destinationPort the destination port
   * @return the slot, or {@link #MISSING}
   */
  public int lookupIpv4(int proto, int client, int clientPort, int destination, int destinationPort) {
    tick();
    long k0 = keyV4(proto, client, clientPort);
    long k1 = destinationV4(destination, destinationPort);
    long[] s = slots;
    long h = scramble(k0);
    int line = (int) ((h * m1) >>> shift);
    int b = BASE + line * LINE;
    int slot = 2 * line;
    if (s[b] != k0 || (s[b + 1] & DEST_MASK) != k1) {
      if (s[b + STRIDE] == k0 && (s[b + STRIDE + 1] & DEST_MASK) == k1 && (s[b] & V6) == 0) {
        slot++;
      } else {
        // The second line, written out here rather than called: about one flow in eight lives there,
        // and the call the JIT left out of line cost more than the probe itself.
        line = (int) ((h * m2) >>> shift);
        b = BASE + line * LINE;
        slot = 2 * line;
        if (s[b] != k0 || (s[b + 1] & DEST_MASK) != k1) {
          if (s[b + STRIDE] != k0 || (s[b + STRIDE + 1] & DEST_MASK) != k1 || (s[b] & V6) != 0) {
            bump(FlowCounter.MISSES);
            return MISSING;
          }
          slot++;
        }
      }
    }
    return found(slot);
  }

  private int findV6(int line, long k0, long k1, long sh, long sl, long dh, long dl) {
    long[] s = slots;
    int b = BASE + line * LINE;
    if (s[b] == k0 && (s[b + 1] & DEST_MASK) == k1 && s[b + 5] == sl && s[b + 7] == dl && s[b + 4] == sh
        && s[b + 6] == dh) {
      return 2 * line;
    }
    return MISSING;
  }

  private int found(int slot) {
    if (slot >= 0) {
      if (expired(slots, BASE + slot * STRIDE)) {
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
   * Reads the first candidate line of a key, so that its cache miss starts now and overlaps other
   * work: a batch of frames first calls this for each, then looks them up (a load is Java's prefetch).
   * Changes nothing.
   *
   * @param key the flow as the client sent it
   * @return a value of the line, to be consumed so the read is not optimized away
   */
  public long prefetch(FlowKey key) {
    if (!key.isIpv6()) {
      return prefetchIpv4(key.protocolNumber(), (int) key.sourceAddressLow(), key.sourcePort());
    }
    long x = foldV6(keyV6(key.protocolNumber(), key.sourcePort()), key.sourceAddressHigh(), key.sourceAddressLow());
    long w = slots[BASE + line1(x) * LINE];
    readAhead += w;
    return w;
  }

  /**
   * {@link #prefetch} of an IPv4 client side (for a reply: its destination).
   *
   * @param proto the IANA protocol number
   * @param client the client's IPv4 address
   * @param clientPort the client's port
   * @return a value of the line, to be consumed
   */
  public long prefetchIpv4(int proto, int client, int clientPort) {
    long w = slots[BASE + line1(keyV4(proto, client, clientPort)) * LINE];
    readAhead += w;
    return w;
  }

  /**
   * The first candidate line of a key, as a token for {@link #readLines}: the first step of a batch
   * that hashes every frame first, then reads all their lines in one short loop, then looks them up.
   * Changes nothing.
   *
   * @param key the flow as the client sent it
   * @return the line, 0 .. capacity / 2 - 1
   */
  public int firstLine(FlowKey key) {
    if (!key.isIpv6()) {
      return line1(keyV4(key.protocolNumber(), (int) key.sourceAddressLow(), key.sourcePort()));
    }
    return line1(foldV6(keyV6(key.protocolNumber(), key.sourcePort()), key.sourceAddressHigh(), key.sourceAddressLow()));
  }

  /**
   * Reads one word of each line, so that their cache misses are in flight together. Java has no
   * prefetch instruction and a load that misses holds up retirement until it returns, so the loads
   * must follow each other closely for a whole batch's misses to overlap: this loop is a few
   * instructions per line, where reading ahead while parsing is dozens. Changes nothing.
   *
   * @param lines tokens from {@link #firstLine}; negative entries are skipped
   * @param count how many
   * @return a value of the lines, to be consumed so the reads are not optimized away
   */
  public long readLines(int[] lines, int count) {
    long[] s = slots;
    long sum = 0;
    for (int i = 0; i < count; i++) {
      int line = lines[i];
      if (line >= 0) {
        sum += s[BASE + (line & lineMask) * LINE];
      }
    }
    return sum;
  }

  /** The sum of the words read ahead: consuming them keeps the compiler from dropping the reads. */
  private long readAhead;

  /**
   * {@link #prefetch} straight from an Ethernet frame, before it is parsed: peeks at an IPv4 TCP or
   * UDP frame (untagged or 802.1Q) and reads the first candidate line of its client side (the source
   * of a request, the destination of a reply). Anything else, or a frame too short, reads nothing.
   * Never throws for frame contents; changes nothing.
   *
   * @param buffer the frame's buffer, big-endian
   * @param offset the frame's first byte
   * @param length the frame's length
   * @param clientIsSource true for a request, false for a reply
   * @return a value of the line (0 when nothing was read), to be consumed
   */
  public long prefetchFrame(java.nio.ByteBuffer buffer, int offset, int length, boolean clientIsSource) {
    int l3 = offset + 14;
    if (length < 14 + 20 + 4 || offset < 0 || offset + length > buffer.limit()) {
      return 0;
    }
    int type = buffer.getShort(offset + 12) & 0xFFFF;
    if (type == 0x8100) {
      type = buffer.getShort(offset + 16) & 0xFFFF;
      l3 += 4;
    }
    int ihl = (buffer.get(l3) & 0x0F) << 2;
    int proto = buffer.get(l3 + 9) & 0xFF;
    if (type != 0x0800 || ihl < 20 || l3 + ihl + 4 > offset + length || (proto != 6 && proto != 17)) {
      return 0;
    }
    int client = buffer.getInt(l3 + (clientIsSource ? 12 : 16));
    int port = buffer.getShort(l3 + ihl + (clientIsSource ? 0 : 2)) & 0xFFFF;
    return prefetchIpv4(proto, client, port);
  }

  /**
   * Finds the live flows whose client side is the given one, one at a time: the flows a reply
   * addressed to that client may belong to (the caller checks the reply's source, the backend, which
   * only the mode knows how to derive). Start with {@code after = MISSING}, then pass the slot
   * returned. Expired flows are skipped, not freed.
   *
   * @param proto the IANA protocol number
   * @param v6 whether IPv6
   * @param high the client address, bits 127..64 (0 for IPv4)
   * @param low the client address, bits 63..0 (IPv4-mapped for IPv4)
   * @param port the client port
   * @param after the last slot returned, or {@link #MISSING} to start
   * @return the next candidate's slot, or {@link #MISSING}
   */
  public int nextByClient(int proto, boolean v6, long high, long low, int port, int after) {
    long k0 = v6 ? keyV6(proto, port) : keyV4(proto, (int) low, port);
    long x = v6 ? foldV6(k0, high, low) : k0;
    long[] s = slots;
    if (v6) {
      int from = 0;
      if (after >= 0) {
        from = V6_LINES;
        for (int i = 0; i < V6_LINES; i++) {
          if (2 * lineV6(x, i) == after) {
            from = i + 1;
          }
        }
      }
      for (int i = from; i < V6_LINES; i++) {
        int slot = 2 * lineV6(x, i);
        int b = BASE + slot * STRIDE;
        if (s[b] == k0 && s[b + 4] == high && s[b + 5] == low && !expired(s, b) && !seenBefore(x, i, slot)) {
          return slot;
        }
      }
      return MISSING;
    }
    int l1 = line1(x);
    int l2 = line2(x);
    int n = l1 == l2 ? 2 : 4;
    int from = 0;
    if (after >= 0) {
      from = n;
      for (int i = 0; i < n; i++) {
        if (candidate(l1, l2, i) == after) {
          from = i + 1;
        }
      }
    }
    for (int i = from; i < n; i++) {
      int slot = candidate(l1, l2, i);
      int b = BASE + slot * STRIDE;
      if (s[b] == k0 && ((i & 1) == 0 || (s[b - STRIDE] & V6) == 0) && !expired(s, b)) {
        return slot;
      }
    }
    return MISSING;
  }

  /** Whether candidate line i of an IPv6 key repeats an earlier one (two multipliers may agree). */
  private boolean seenBefore(long x, int i, int slot) {
    for (int j = 0; j < i; j++) {
      if (2 * lineV6(x, j) == slot) {
        return true;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------- opening flows

  /**
   * Creates a flow after a {@link #lookup} missed. Counts the new flow against the rate limit;
   * takes a free slot of the key's lines, else an expired flow's, else evicts (see the class comment),
   * else moves flows to make room.
   *
   * @param key the flow as the client sent it
   * @param backendHandle the chosen backend's {@link BackendLoad#handle()}, 0..{@link #MAX_HANDLE}
   * @param state the initial {@link FlowState} (SYN_RECV for a SYN, UDP, ICMP, OTHER, or ESTABLISHED
   *     for a flow picked up mid-stream)
   * @param translation the mode's translation word
   * @return the slot, {@link #RATE_LIMITED} or {@link #FULL}; a slot index stays valid until the
   *     next {@code open} or {@code admit}, which may move other flows to their other line
   */
  public int open(FlowKey key, int backendHandle, int state, int translation) {
    if (rateLimit > 0 && aboveRate()) {
      bump(FlowCounter.RATE_LIMITED);
      return RATE_LIMITED;
    }
    return insert(key, backendHandle, state, translation, 0);
  }

  /**
   * Creates a flow whatever the new-flow rate: for modes whose replies pass the balancer, where a
   * flow without state could not have its reply translated (a stateless SYN there is a connection
   * that cannot complete). New flows above the rate are counted ({@link
   * FlowCounter#ADMITTED_ABOVE_RATE}); a flood admitted this way displaces its own half-open flows,
   * oldest first, and never an established one.
   *
   * @param key the flow as the client sent it
   * @param backendHandle the chosen backend's handle
   * @param state the initial {@link FlowState}
   * @param translation the mode's translation word
   * @return the slot, or {@link #FULL}
   */
  public int admit(FlowKey key, int backendHandle, int state, int translation) {
    if (rateLimit > 0 && aboveRate()) {
      bump(FlowCounter.ADMITTED_ABOVE_RATE);
    }
    return insert(key, backendHandle, state, translation, 0);
  }

  private boolean aboveRate() {
    if (rateSecond != now) {
      rateSecond = now;
      newFlowsThisSecond = 0;
    }
    return ++newFlowsThisSecond > rateLimit;
  }

  private int insert(FlowKey key, int backendHandle, int state, int translation, long flags) {
    boolean v6 = key.isIpv6();
    int proto = key.protocolNumber();
    int sport = key.sourcePort();
    long k0;
    long k1;
    long x;
    if (v6) {
      k0 = keyV6(proto, sport);
      k1 = (long) key.destinationPort() << 16;
      x = foldV6(k0, key.sourceAddressHigh(), key.sourceAddressLow());
    } else {
      k0 = keyV4(proto, (int) key.sourceAddressLow(), sport);
      k1 = destinationV4((int) key.destinationAddressLow(), key.destinationPort());
      x = k0;
    }
    int slot = v6 ? placeV6(x) : placeV4(line1(x), line2(x));
    if (slot < 0) {
      bump(FlowCounter.TABLE_FULL);
      return FULL;
    }
    long[] s = slots;
    int b = BASE + slot * STRIDE;
    s[b] = k0;
    s[b + 1] = k1 | (long) state << STATE_SHIFT | flags;
    s[b + 2] = (long) now << 32 | (backendHandle & MAX_HANDLE);
    openSequence += v6 ? 2 : 1;
    s[b + 3] = (long) openSequence << 32 | (translation & LOW);
    if (v6) {
      s[b + 4] = key.sourceAddressHigh();
      s[b + 5] = key.sourceAddressLow();
      s[b + 6] = key.destinationAddressHigh();
      s[b + 7] = key.destinationAddressLow();
    }
    add(SIZE, 1);
    if (4 * backendHandle + 3 >= backendCounts.length) {
      backendCounts = Arrays.copyOf(backendCounts, Math.max(backendCounts.length * 2, 4 * (backendHandle + 1)));
    }
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

  /** True when the slot (an IPv4 position) holds nothing: neither a flow nor half of an IPv6 flow. */
  private boolean vacant(int slot) {
    int b = BASE + slot * STRIDE;
    return slots[b] == 0 && ((slot & 1) == 0 || (slots[b - STRIDE] & V6) == 0);
  }

  /**
   * How much a live flow matters, smaller for the one to give up first: 0 expired, 1 half-open and
   * unreplied, 3 other evictable, then Long.MAX_VALUE (keep: not evictable, or opened within the last
   * quarter of the table's capacity of new flows); the class in the top bits, the age
   * order below it (older first).
   */
  private long rank(int slot) {
    long[] s = slots;
    int b = BASE + slot * STRIDE;
    if (expired(s, b)) {
      return 0;
    }
    long w1 = s[b + 1];
    int state = (int) ((w1 & STATE_MASK) >>> STATE_SHIFT);
    if (!FlowState.evictable(state)) {
      return Long.MAX_VALUE;
    }
    long opened = Math.min((openSequence - (int) (s[b + 3] >>> 32)) & LOW, AGE);
    if (opened < youngSlots) {
      return Long.MAX_VALUE;
    }
    if (state == FlowState.SYN_RECV && (w1 & REPLIED) == 0) {
      return 1L << 60 | (AGE - opened);
    }
    // idle seconds first, then open order among flows last seen in the same second
    long idle = Math.min((now - (int) (s[b + 2] >>> 32)) & LOW, AGE);
    return 3L << 60 | (AGE - idle) << 30 | (AGE - opened);
  }

  private static final long AGE = (1L << 30) - 1;

  /** The head slot of the flow occupying an IPv4 position (its line's first slot for IPv6). */
  private int owner(int slot) {
    return (slot & 1) != 0 && (slots[BASE + (slot - 1) * STRIDE] & V6) != 0 ? slot - 1 : slot;
  }

  /** Candidate position i (0..3) of a key: both slots of its first line, then of its second. */
  private static int candidate(int l1, int l2, int i) {
    return 2 * (i < 2 ? l1 : l2) + (i & 1);
  }

  private int placeV4(int l1, int l2) {
    for (int i = 0; i < 4; i++) {
      int slot = candidate(l1, l2, i);
      if (vacant(slot)) {
        bump(FlowCounter.INSERTED);
        return slot;
      }
    }
    int best = -1;
    long bestRank = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      int slot = candidate(l1, l2, i);
      long r = rank(owner(slot));
      if (r < bestRank) {
        bestRank = r;
        best = slot;
      }
    }
    if (bestRank == Long.MAX_VALUE) {
      // Nothing here may be evicted: flows that may not be evicted hide what lies behind them, and
      // moving them along a path of up to five moves may reach a free slot or a victim.
      int slot = makeRoom(l1, l2, MAX_PATH, bestRank);
      if (slot >= 0) {
        return slot;
      }
    }
    if (best >= 0) {
      reclaim(owner(best), bestRank);
      return best;
    }
    return FULL;
  }

  private void reclaim(int slot, long rank) {
    free(slot);
    if (rank == 0) {
      bump(FlowCounter.EXPIRED);
      bump(FlowCounter.REUSED_EXPIRED);
    } else {
      bump(FlowCounter.EVICTED);
    }
  }

  /** A line's rank for an IPv6 flow: vacant -1, else that of the occupant that matters most. */
  private long lineRank(int line) {
    boolean a = vacant(2 * line);
    boolean b = vacant(2 * line + 1);
    if (a && b) {
      return -1;
    }
    return Math.max(a ? -1 : rank(2 * line), b ? -1 : rank(owner(2 * line + 1)));
  }

  private void clearLine(int line, long rank) {
    for (int i = 0; i < 2; i++) {
      int slot = 2 * line + i;
      if (!vacant(slot)) {
        int o = owner(slot);
        reclaim(o, rank(o));
      }
    }
  }

  /**
   * The best other line (by {@link #lineRank}) of the IPv6 flow filling a line, if that flow may not
   * be evicted; -1 otherwise. Leaves that line's rank in {@link #alternativeRank}.
   */
  private int keptV6Alternative(int line) {
    int b = BASE + line * LINE;
    alternativeRank = Long.MAX_VALUE;
    if ((slots[b] & V6) == 0 || rank(2 * line) != Long.MAX_VALUE) {
      return -1;
    }
    long x = hashWord(2 * line);
    int best = -1;
    for (int i = 0; i < V6_LINES; i++) {
      int alt = lineV6(x, i);
      long r = alt == line ? Long.MAX_VALUE : lineRank(alt);
      if (r < alternativeRank) {
        alternativeRank = r;
        best = alt;
      }
    }
    return best;
  }

  private long alternativeRank;

  private void takeLine(int line, long rank) {
    if (rank >= 0) {
      clearLine(line, rank);
    } else {
      bump(FlowCounter.INSERTED);
    }
  }

  private int placeV6(long x) {
    int best = -1;
    long bestRank = Long.MAX_VALUE;
    for (int i = 0; i < V6_LINES; i++) {
      int line = lineV6(x, i);
      long r = lineRank(line);
      if (r < bestRank) {
        bestRank = r;
        best = line;
        if (r < 0) {
          bump(FlowCounter.INSERTED);
          return 2 * line;
        }
      }
    }
    if (bestRank > 0 && bestRank != Long.MAX_VALUE) {
      // An IPv6 flow that may not be evicted may move to another of its lines if that is free or
      // holds an older victim than the best one here.
      for (int i = 0; i < V6_LINES; i++) {
        int line = lineV6(x, i);
        int alt = keptV6Alternative(line);
        if (alt >= 0 && alternativeRank < bestRank) {
          takeLine(alt, alternativeRank);
          move(2 * line, 2 * alt);
          return 2 * line;
        }
      }
    }
    if (bestRank == Long.MAX_VALUE) {
      // Every candidate holds a flow that may not be evicted (established, or too young): move them
      // along paths of their other lines, as makeRoom does for IPv4 flows.
      int line = makeRoomV6(x);
      return line >= 0 ? 2 * line : FULL;
    }
    clearLine(best, bestRank);
    return 2 * best;
  }

  /** Whether a line is filled by one IPv6 flow that may not be evicted (so it may only move). */
  private boolean keptV6(int line) {
    return (slots[BASE + line * LINE] & V6) != 0 && rank(2 * line) == Long.MAX_VALUE;
  }

  /**
   * Moves IPv6 flows that may not be evicted between their four lines, breadth-first over paths of
   * at most {@link #MAX_PATH} moves, to the best line found beyond them (free, else expired, else
   * holding the flows that matter least, if any may go), and returns the key's line so freed, or -1.
   * An IPv6 flow fills its line, so a flood that keeps a quarter of the lines young and legitimate
   * flows that keep others established leave each of a new flow's four lines taken far more often
   * than an IPv4 slot. With one move and no paths, 92% of legitimate handshakes completed under a
   * flood of ten times the capacity (against 100% for IPv4 with its paths) and a table of established
   * IPv6 flows refused its first at 62% of the lines; with paths, 99% and 93%.
   */
  private int makeRoomV6(long x) {
    int tail = 0;
    for (int i = 0; i < V6_LINES; i++) {
      int line = lineV6(x, i);
      if (keptV6(line) && !queued(tail, 2 * line)) {
        queueSlot[tail] = 2 * line;
        queueParent[tail] = -1;
        queueDepth[tail++] = 1;
      }
    }
    int bestNode = -1;
    int bestTarget = -1;
    long bestRank = Long.MAX_VALUE;
    for (int head = 0; head < tail && bestRank >= 0; head++) {
      int from = queueSlot[head] >> 1;
      long y = hashWord(2 * from);
      for (int i = 0; i < V6_LINES && bestRank >= 0; i++) {
        int alt = lineV6(y, i);
        if (alt == from || onPath(head, 2 * alt)) {
          continue;
        }
        long r = lineRank(alt);
        if (r < bestRank) {
          bestRank = r;
          bestNode = head;
          bestTarget = alt;
        } else if (queueDepth[head] < MAX_PATH && tail < QUEUE && !queued(tail, 2 * alt) && keptV6(alt)) {
          queueSlot[tail] = 2 * alt;
          queueParent[tail] = head;
          queueDepth[tail++] = queueDepth[head] + 1;
        }
      }
    }
    if (bestNode < 0) {
      return -1;
    }
    takeLine(bestTarget, bestRank);
    // Replay the path backwards: each flow moves into the line its successor left.
    int node = bestNode;
    int target = bestTarget;
    while (node >= 0) {
      move(queueSlot[node], 2 * target);
      target = queueSlot[node] >> 1;
      node = queueParent[node];
    }
    return target;
  }

  /** Whether a slot is among the first {@code count} entries of the search queue. */
  private boolean queued(int count, int slot) {
    for (int i = 0; i < count; i++) {
      if (queueSlot[i] == slot) {
        return true;
      }
    }
    return false;
  }

  /**
   * Moves IPv4 flows that may not be evicted between their two lines, breadth-first over paths of at
   * most {@code maxPath} moves, to the best slot found beyond them: free, else expired, else the flow
   * that matters least, if it ranks below {@code threshold}. Returns the slot freed in one of the
   * key's lines, or {@link #FULL}.
   */
  private int makeRoom(int l1, int l2, int maxPath, long threshold) {
    int head = 0;
    int tail = 0;
    for (int i = 0; i < (l1 == l2 ? 2 : 4); i++) {
      int slot = candidate(l1, l2, i);
      if ((slots[BASE + slot * STRIDE] & V6) == 0 && owner(slot) == slot && rank(slot) == Long.MAX_VALUE) {
        queueSlot[tail] = slot;
        queueParent[tail] = -1;
        queueDepth[tail++] = 1;
      }
    }
    int bestNode = -1;
    int bestTarget = -1;
    long bestRank = threshold;
    while (head < tail && bestRank >= 0) {
      int from = queueSlot[head];
      long x = hashWord(from);
      int a = line1(x);
      int alt = a == from >> 1 ? line2(x) : a;
      if (alt != from >> 1) {
        for (int i = 0; i < 2 && bestRank >= 0; i++) {
          int to = 2 * alt + i;
          boolean v4 = (slots[BASE + owner(to) * STRIDE] & V6) == 0;
          long r = vacant(to) ? -1 : v4 ? rank(owner(to)) : Long.MAX_VALUE;
          if (r < bestRank) {
            bestRank = r;
            bestNode = head;
            bestTarget = to;
          } else if (r == Long.MAX_VALUE && v4 && queueDepth[head] < maxPath && tail < QUEUE && owner(to) == to
              && !onPath(head, to)) {
            queueSlot[tail] = to;
            queueParent[tail] = head;
            queueDepth[tail++] = queueDepth[head] + 1;
          }
        }
      }
      head++;
    }
    if (bestNode < 0) {
      return FULL;
    }
    if (bestRank >= 0) {
      reclaim(bestTarget, bestRank);
    } else {
      bump(FlowCounter.INSERTED);
    }
    // Replay the path backwards: each flow moves into the slot its successor left.
    int node = bestNode;
    int target = bestTarget;
    while (node >= 0) {
      move(queueSlot[node], target);
      target = queueSlot[node];
      node = queueParent[node];
    }
    return target;
  }

  /** Whether a slot is already on the path ending at a queue node (a path must not visit it twice). */
  private boolean onPath(int node, int slot) {
    for (int n = node; n >= 0; n = queueParent[n]) {
      if (queueSlot[n] == slot) {
        return true;
      }
    }
    return false;
  }

  private void move(int from, int to) {
    long[] s = slots;
    int fb = BASE + from * STRIDE;
    int tb = BASE + to * STRIDE;
    boolean v6 = (s[fb] & V6) != 0;
    for (int w = 0; w < (v6 ? LINE : STRIDE); w++) {
      s[tb + w] = s[fb + w];
    }
    if (v6) {
      s[fb + 4] = 0;
      s[fb + 5] = 0;
    }
    s[fb] = 0;
    s[fb + 1] = 0;
    moveListener.moved(from, to, (int) s[tb + 3]);
  }

  /**
   * Told when {@link #open} moves a flow to its other line, so that a mode keeping its own index
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
    this.moveListener = Objects.requireNonNull(listener, "listener");
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
    this.freeListener = Objects.requireNonNull(listener, "listener");
  }

  // ---------------------------------------------------------------- packets of a flow

  /**
   * Records one packet of a flow: counts it on the backend, moves the TCP state on its flags, and
   * notes the time; writes the flow's line only when one of these changes (see the class comment).
   *
   * <pre>
   *  SYN_RECV    --ACK (client)-->  ESTABLISHED    any --RST--> CLOSE
   *  ESTABLISHED --FIN-->           FIN_WAIT       FIN_WAIT --FIN--> TIME_WAIT
   *  TIME_WAIT, CLOSE --SYN (client)--> SYN_RECV (port reuse keeps the backend; lb-nat's
   *                                       translators close such a flow and schedule the SYN afresh)
   * </pre>
   *
   * @param slot a slot returned by {@link #lookup} or {@link #open}
   * @param tcpFlags the segment's control bits, 0 for other protocols
   * @param fromClient whether the packet travels client to server
   * @param bytes the packet's length
   * @return the flow's state after the packet
   */
  public int touch(int slot, int tcpFlags, boolean fromClient, int bytes) {
    long[] s = slots;
    int b = BASE + slot * STRIDE;
    long w1 = s[b + 1];
    long w2 = s[b + 2];
    int state = (int) ((w1 & STATE_MASK) >>> STATE_SHIFT);
    long next = fromClient ? w1 : w1 | REPLIED;
    if ((next & SEEN_MASK) != SEEN_MASK) {
      next += 1L << SEEN_SHIFT;
    }
    // an established flow only moves on FIN or RST: the common packet skips the state machine
    if (tcpFlags != 0 && state <= FlowState.CLOSE
        && (state != FlowState.ESTABLISHED || (tcpFlags & (TCP_FIN | TCP_RST)) != 0)) {
      next = transition(next, (int) w2, state, tcpFlags, fromClient);
    }
    if (next != w1) {
      s[b + 1] = next;
    }
    if ((int) (w2 >>> 32) != now) {
      s[b + 2] = (long) now << 32 | (w2 & LOW);
    }
    long[] c = backendCounts;
    int i = 4 * (int) w2 + (fromClient ? 0 : 2);
    COUNTS.setOpaque(c, i, c[i] + 1);
    COUNTS.setOpaque(c, i + 1, c[i + 1] + bytes);
    return (int) ((next & STATE_MASK) >>> STATE_SHIFT);
  }

  private static final int TCP_FIN = 0x01;
  private static final int TCP_RST = 0x04;

  private long transition(long w1, int handle, int state, int tcpFlags, boolean fromClient) {
    int to = nextTcpState(state, tcpFlags, fromClient);
    if (to == state) {
      return w1;
    }
    moveSession(handle, state, to);
    return (w1 & ~STATE_MASK) | (long) to << STATE_SHIFT;
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
    long[] s = slots;
    int b = BASE + slot * STRIDE;
    long w1 = s[b + 1];
    int state = (int) ((w1 & STATE_MASK) >>> STATE_SHIFT);
    int handle = (int) s[b + 2];
    freeListener.freed(slot, (int) s[b + 3]);
    if ((s[b] & V6) != 0) {
      s[b + 4] = 0;
      s[b + 5] = 0;
    }
    s[b] = 0;
    s[b + 1] = 0;
    add(SIZE, -1);
    BackendLoad load = sessions.byHandle(handle);
    if (load != null) {
      load.sessionClosed(FlowState.active(state));
    }
  }

  // ---------------------------------------------------------------- replies (compatibility)

  /**
   * Hashes a reply key (the flow as the backend sends it back) to its client side, the only part
   * the table hashes: a token for {@link #reverseCandidate} and {@link #linkReverse}. {@link
   * #nextByClient} does the same search in one call.
   *
   * @param replyKey the reply's flow
   * @return the token of the reply's destination (the client)
   */
  public long reverseHash(FlowKey replyKey) {
    if (!replyKey.isIpv6()) {
      return keyV4(replyKey.protocolNumber(), (int) replyKey.destinationAddressLow(), replyKey.destinationPort());
    }
    return foldV6(keyV6(replyKey.protocolNumber(), replyKey.destinationPort()), replyKey.destinationAddressHigh(),
        replyKey.destinationAddressLow());
  }

  /**
   * Tells whether a flow's replies will find it: they do whenever the reply's destination is the
   * flow's client (every mode but source NAT, whose replies the caller finds by port), because a
   * flow is stored under its client side. Writes nothing.
   *
   * @param slot the flow
   * @param reverseHash {@link #reverseHash} of its reply key
   * @return whether the flow is among the candidates of the reply key
   */
  public boolean linkReverse(int slot, long reverseHash) {
    return state(slot) != FlowState.FREE && hashWord(owner(slot)) == reverseHash;
  }

  /**
   * Returns the flow at candidate position {@code i} of a reply key if its client side is the reply's
   * destination; the caller checks the rest of the reply key.
   *
   * @param reverseHash {@link #reverseHash} of the reply key
   * @param i 0..{@link #REVERSE_CANDIDATES}-1
   * @return a live slot, or {@link #MISSING}
   */
  public int reverseCandidate(long reverseHash, int i) {
    if (i < 0 || i >= REVERSE_CANDIDATES) {
      return MISSING;
    }
    int slot = 2 * lineV6(reverseHash, i >> 1) + (i & 1);
    if (owner(slot) != slot || slots[BASE + slot * STRIDE] == 0 || hashWord(slot) != reverseHash) {
      return MISSING;
    }
    return slot;
  }

  /**
   * Tells whether position {@code i} of a reply key's candidates may hold a flow: true for every
   * position, since a freed slot leaves a hole anywhere; kept so that probes written for a prefix
   * ordered index still visit every candidate.
   *
   * @param reverseHash {@link #reverseHash} of the reply key
   * @param i 0..{@link #REVERSE_CANDIDATES}-1
   * @return true while {@code i} is a candidate position
   */
  public boolean reverseLinked(long reverseHash, int i) {
    return i >= 0 && i < REVERSE_CANDIDATES;
  }

  // ---------------------------------------------------------------- fields of a flow

  /** The four candidate slots of an IPv4 key (tests). */
  int[] candidateSlots(FlowKey key) {
    long k0 = keyV4(key.protocolNumber(), (int) key.sourceAddressLow(), key.sourcePort());
    int l1 = line1(k0);
    int l2 = line2(k0);
    return new int[] {2 * l1, 2 * l1 + 1, 2 * l2, 2 * l2 + 1};
  }

  /** A copy of a slot's four words (tests: what a packet wrote). */
  long[] words(int slot) {
    int b = BASE + slot * STRIDE;
    return Arrays.copyOfRange(slots, b, b + STRIDE);
  }

  /**
   * Tells whether a live flow's timeout passed (reply lookups check it; the next client lookup or
   * sweep frees it).
   *
   * @param slot a live slot
   * @return whether it expired
   */
  public boolean isExpired(int slot) {
    return expired(slots, BASE + slot * STRIDE);
  }

  /**
   * Returns a flow's state.
   *
   * @param slot a slot
   * @return a {@link FlowState} code, FREE for an empty slot or the second half of an IPv6 flow
   */
  public int state(int slot) {
    int b = BASE + slot * STRIDE;
    if (slots[b] == 0 || owner(slot) != slot) {
      return FlowState.FREE;
    }
    return (int) ((slots[b + 1] & STATE_MASK) >>> STATE_SHIFT);
  }

  /**
   * Returns a flow's backend handle.
   *
   * @param slot a live slot
   * @return the {@link BackendLoad#handle()} given to {@link #open}
   */
  public int backend(int slot) {
    return (int) slots[BASE + slot * STRIDE + 2];
  }

  /**
   * Returns a flow's translation word.
   *
   * @param slot a live slot
   * @return the mode's 32 bits
   */
  public int translation(int slot) {
    return (int) slots[BASE + slot * STRIDE + 3];
  }

  /**
   * Sets a flow's translation word.
   *
   * @param slot a live slot
   * @param translation the mode's 32 bits
   */
  public void translation(int slot, int translation) {
    int b = BASE + slot * STRIDE;
    slots[b + 3] = (slots[b + 3] & ~LOW) | (translation & LOW);
  }

  /**
   * Tells whether a packet of the flow came back from the server ({@link #touch} with
   * {@code fromClient} false).
   *
   * @param slot a live slot
   * @return whether a reply was seen
   */
  public boolean replied(int slot) {
    return (slots[BASE + slot * STRIDE + 1] & REPLIED) != 0;
  }

  /**
   * Returns seconds until a flow's timeout, counted from when it was last seen.
   *
   * @param slot a live slot
   * @return seconds, 0 or less when expired
   */
  public int secondsLeft(int slot) {
    int b = BASE + slot * STRIDE;
    int state = (int) ((slots[b + 1] & STATE_MASK) >>> STATE_SHIFT);
    return (int) (slots[b + 2] >>> 32) + timeouts[state] - now;
  }

  /**
   * Returns how many packets {@link #touch} saw for a flow, saturating at 3: enough to tell a first
   * packet from a retransmission without writing the flow's line on every packet.
   *
   * @param slot a live slot
   * @return 0..3
   */
  public long packets(int slot) {
    return (slots[BASE + slot * STRIDE + 1] & SEEN_MASK) >>> SEEN_SHIFT;
  }

  /**
   * Returns a word of a flow's key (0..3: source high, source low, destination high, destination
   * low), for modes that rebuild a reply key from the flow.
   *
   * @param slot a live slot
   * @param word 0..3
   * @return the address half (IPv4 addresses IPv4-mapped)
   */
  public long address(int slot, int word) {
    int b = BASE + slot * STRIDE;
    long[] s = slots;
    if ((s[b] & V6) != 0) {
      return s[b + 4 + (word & 3)];
    }
    switch (word & 3) {
      case 1:
        return 0x0000_FFFF_0000_0000L | (s[b] >>> 32);
      case 3:
        return 0x0000_FFFF_0000_0000L | (s[b + 1] >>> 32);
      default:
        return 0;
    }
  }

  /**
   * Returns a flow's client-side source port.
   *
   * @param slot a live slot
   * @return 0..65535
   */
  public int sourcePort(int slot) {
    return (int) (slots[BASE + slot * STRIDE] >>> 16) & 0xFFFF;
  }

  /**
   * Returns a flow's client-side destination port.
   *
   * @param slot a live slot
   * @return 0..65535
   */
  public int destinationPort(int slot) {
    return (int) (slots[BASE + slot * STRIDE + 1] >>> 16) & 0xFFFF;
  }

  /**
   * Returns a flow's protocol.
   *
   * @param slot a live slot
   * @return the IANA number
   */
  public int protocol(int slot) {
    return (int) (slots[BASE + slot * STRIDE] >>> 8) & 0xFF;
  }

  /**
   * Tells whether a flow is IPv6.
   *
   * @param slot a live slot
   * @return whether it is IPv6
   */
  public boolean ipv6(int slot) {
    return (slots[BASE + slot * STRIDE] & V6) != 0;
  }
}
