/*
 * C baseline of lb4j's PacketCoreBenchmark.establishedDnat: exactly the same work per packet.
 *
 *   copy a precomputed 64-byte frame into a work buffer; parse Ethernet (802.1Q aware), IPv4 and TCP
 *   with the same checks as FrameParser; hash the 5-tuple as FlowTable.hash does (five keyed
 *   SplitMix64 lanes and a final round); look the flow up in the same table (64-byte slots, two
 *   8-slot buckets scanned side by side, expiry check, clock read and 64-slot sweep every 64
 *   operations); touch it (TCP state, deadline, saturating packet/byte counters); DNAT destination IP and MAC with RFC 1624 updates of
 *   the IPv4 and TCP checksums.
 *
 * Build and run (lb-benchmarks/nat-baseline does both):  gcc -O2 -o nat_baseline nat_baseline.c
 *   ./nat_baseline FLOWS [PACKETS]
 * Prints: flows=<n> cpu_ns_per_packet=<thread CPU time> wall_ns_per_packet=<wall time>
 */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FRAMES 4096
#define FLEN 64
#define BACKENDS 64
#define WINDOW 8
#define STRIDE 8
#define VIP 0xCB007105u
#define V4MAPPED 0x0000FFFF00000000ull
#define KEY_MASK 0xFFFFFFFFFF800000ull
#define STATE_SHIFT 19
#define STATE_MASK (0xFull << STATE_SHIFT)
#define HANDLE_MASK ((1ull << 19) - 1)
#define MAX_PACKETS ((1ull << 28) - 1)
#define MAX_BYTES ((1ull << 36) - 1)

static inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

/* FlowTable.hash: five keyed SplitMix64 lanes (one per address word, one for ports and protocol)
   folded by a final round; lanes = mix64(seed ^ FORWARD_SEED), computed once per table. */
static inline uint64_t five_tuple(int proto, int v6, uint64_t sh, uint64_t sl, uint64_t dh, uint64_t dl,
                                  int sport, int dport, uint64_t lanes) {
  const uint64_t lane = 0x9E3779B97F4A7C15ull;
  uint64_t x0 = mix64(lanes ^ sh);
  uint64_t x1 = mix64((lanes + lane) ^ sl);
  uint64_t x2 = mix64((lanes + 2 * lane) ^ dh);
  uint64_t x3 = mix64((lanes + 3 * lane) ^ dl);
  uint64_t x4 = mix64((lanes + 4 * lane)
      ^ ((uint64_t)sport << 48 | (uint64_t)dport << 32 | (uint64_t)proto << 1 | (uint64_t)v6));
  return mix64(x0 + rotl(x1, 13) + rotl(x2, 26) + rotl(x3, 39) + rotl(x4, 52));
}

static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static inline void wr16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v; }
static inline void wr32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }
static inline void wr48(uint8_t *p, uint64_t v) { wr16(p, (uint16_t)(v >> 32)); wr32(p + 2, (uint32_t)v); }

static inline uint16_t fold(uint64_t s) {
  s = (s & 0xFFFFFFFFull) + (s >> 32);
  s = (s & 0xFFFF) + (s >> 16);
  s = (s & 0xFFFF) + (s >> 16);
  s = (s & 0xFFFF) + (s >> 16);
  return (uint16_t)s;
}

static inline uint16_t update32(uint16_t cs, uint32_t oldv, uint32_t newv) {
  uint64_t s = (uint16_t)~cs + ((~oldv >> 16) & 0xFFFF) + (~oldv & 0xFFFF) + (newv >> 16) + (newv & 0xFFFF);
  return (uint16_t)~fold(s);
}

static uint16_t checksum(const uint8_t *p, int n, uint64_t s) {
  for (int i = 0; i + 1 < n; i += 2) s += rd16(p + i);
  if (n & 1) s += (uint64_t)p[n - 1] << 8;
  return (uint16_t)~fold(s);
}

typedef struct {
  uint64_t *slots;
  uint32_t mask, bucket_mask;
  uint64_t seed;
  int32_t now;
  uint32_t ops;
  uint32_t sweep_cursor;
  int32_t timeouts[9];
  uint64_t hits, misses;
  struct timespec epoch;
} table_t;

static int32_t seconds_since(const struct timespec *e) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int32_t)(((int64_t)(t.tv_sec - e->tv_sec) * 1000000000LL + (t.tv_nsec - e->tv_nsec)) / 1000000000LL);
}

static void sweep(table_t *t, int count) {
  uint32_t c = t->sweep_cursor;
  for (int i = 0; i < count; i++) {
    c = (c + 1) & t->mask;
    uint64_t *s = t->slots + (size_t)c * STRIDE;
    if ((s[4] & STATE_MASK) != 0 && (int32_t)(s[5] >> 32) - t->now <= 0) {
      s[4] = 0;
      s[6] = 0;
    }
  }
  t->sweep_cursor = c;
}

static inline void tick(table_t *t) {
  if ((++t->ops & 63) == 0) {
    t->now = seconds_since(&t->epoch);
    sweep(t, 64);
  }
}

static inline int matches(const uint64_t *s, uint64_t k4, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3) {
  uint64_t w4 = s[4];
  return (w4 & KEY_MASK) == k4 && (w4 & STATE_MASK) != 0 && s[1] == a1 && s[3] == a3 && s[0] == a0 && s[2] == a2;
}

/* FlowTable.scan: both buckets side by side, slot i of each, so that their misses overlap. */
static inline int scan(table_t *t, uint32_t first, uint32_t second, uint64_t k4, uint64_t a0, uint64_t a1,
                       uint64_t a2, uint64_t a3) {
  for (int i = 0; i < WINDOW; i++) {
    if (matches(t->slots + (size_t)(first + i) * STRIDE, k4, a0, a1, a2, a3)) return (int)(first + i);
    if (matches(t->slots + (size_t)(second + i) * STRIDE, k4, a0, a1, a2, a3)) return (int)(second + i);
  }
  return -1;
}

static inline int lookup(table_t *t, int proto, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, int sp, int dp) {
  tick(t);
  uint64_t k4 = (uint64_t)sp << 48 | (uint64_t)dp << 32 | (uint64_t)proto << 24;
  uint64_t hash = five_tuple(proto, 0, a0, a1, a2, a3, sp, dp, t->seed);
  int slot = scan(t, (uint32_t)hash & t->bucket_mask, (uint32_t)(hash >> 32) & t->bucket_mask, k4, a0, a1, a2, a3);
  if (slot >= 0) {
    uint64_t *s = t->slots + (size_t)slot * STRIDE;
    if ((int32_t)(s[5] >> 32) - t->now <= 0) {
      s[4] = 0;
      s[6] = 0;
    } else {
      t->hits++;
      return slot;
    }
  }
  t->misses++;
  return -1;
}

static int next_tcp_state(int state, int flags, int from_client) {
  if (flags & 0x04) return 5;
  int syn = flags & 0x02, fin = flags & 0x01, ack = flags & 0x10;
  switch (state) {
    case 1: if (fin) return 3; return from_client && ack && !syn ? 2 : state;
    case 2: return fin ? 3 : state;
    case 3: return fin ? 4 : state;
    case 4: case 5: return from_client && syn && !ack ? 1 : state;
    default: return state;
  }
}

static inline void touch(table_t *t, int slot, int flags, int bytes) {
  uint64_t *s = t->slots + (size_t)slot * STRIDE;
  uint64_t w4 = s[4];
  int state = (int)((w4 & STATE_MASK) >> STATE_SHIFT);
  int next = state;
  if (state <= 5 && flags != 0) {
    next = next_tcp_state(state, flags, 1);
    if (next != state) s[4] = (w4 & ~STATE_MASK) | (uint64_t)next << STATE_SHIFT;
  }
  s[5] = (uint64_t)(uint32_t)(t->now + t->timeouts[next]) << 32 | (s[5] & 0xFFFFFFFFull);
  uint64_t w7 = s[7];
  uint64_t packets = (w7 >> 36) + 1;
  uint64_t octets = (w7 & MAX_BYTES) + (uint64_t)bytes;
  if (packets > MAX_PACKETS) packets = MAX_PACKETS;
  if (octets > MAX_BYTES) octets = MAX_BYTES;
  s[7] = packets << 36 | octets;
}

static int open_flow(table_t *t, uint32_t client, int port, int backend) {
  uint64_t a1 = V4MAPPED | client, a3 = V4MAPPED | VIP;
  uint64_t hash = five_tuple(6, 0, 0, a1, 0, a3, port, 80, t->seed);
  /* balanced allocation into the emptier of the two buckets, as FlowTable.open */
  int best = -1, most = 0;
  for (int w = 0; w < 2; w++) {
    uint32_t h = (uint32_t)(w == 0 ? hash : hash >> 32) & t->bucket_mask;
    int first = -1, count = 0;
    for (int i = 0; i < WINDOW; i++) {
      if ((t->slots[(size_t)(h + i) * STRIDE + 4] & STATE_MASK) == 0 && count++ == 0) first = (int)(h + i);
    }
    if (count > most) { most = count; best = first; }
  }
  if (best >= 0) {
    uint64_t *s = t->slots + (size_t)best * STRIDE;
    s[0] = 0; s[1] = a1; s[2] = 0; s[3] = a3;
    s[4] = (uint64_t)port << 48 | (uint64_t)80 << 32 | (uint64_t)6 << 24 | (uint64_t)2 << STATE_SHIFT | (uint64_t)backend;
    s[5] = (uint64_t)(uint32_t)(t->now + 900) << 32;
    s[6] = 0; s[7] = 0;
    return 0;
  }
  return -1;
}

static uint32_t backend_addr[BACKENDS];
static uint64_t backend_mac[BACKENDS];

/* Returns 1 (forward) or 0 (drop), as the Java path returns a verdict. */
static inline int established(table_t *t, uint8_t *f, int len) {
  if (len < 14) return 0;
  int type = rd16(f + 12);
  int l3 = 14;
  if (type == 0x8100) {
    if (len < 18) return 0;
    type = rd16(f + 16);
    l3 = 18;
  }
  if (type != 0x0800) return 0;
  int avail = len - l3;
  if (avail < 20) return 0;
  uint8_t *ip = f + l3;
  int ihl = (ip[0] & 0x0F) << 2;
  if ((ip[0] >> 4) != 4 || ihl < 20) return 0;
  int total = rd16(ip + 2);
  if (total < ihl || ihl > avail || total > avail) return 0;
  int proto = ip[9];
  uint32_t src = rd32(ip + 12), dst = rd32(ip + 16);
  int frag = rd16(ip + 6);
  if ((frag & 0x2000) || (frag & 0x1FFF)) return 0;
  if (proto != 6) return 0;
  uint8_t *tcp = ip + ihl;
  int tavail = total - ihl;
  if (tavail < 20) return 0;
  int hl = (tcp[12] >> 4) << 2;
  if (hl < 20 || hl > tavail) return 0;
  int sp = rd16(tcp), dp = rd16(tcp + 2), flags = tcp[13];
  int slot = lookup(t, proto, 0, V4MAPPED | src, 0, V4MAPPED | dst, sp, dp);
  if (slot < 0) return 0;
  touch(t, slot, flags, len);
  int backend = (int)(t->slots[(size_t)slot * STRIDE + 4] & HANDLE_MASK);
  uint32_t rip = backend_addr[backend];
  wr32(ip + 16, rip);
  wr16(ip + 10, update32(rd16(ip + 10), dst, rip));
  wr16(tcp + 16, update32(rd16(tcp + 16), dst, rip));
  wr48(f, backend_mac[backend]);
  wr48(f + 6, 0x0200000000FEull);
  return 1;
}

static uint64_t rng = 42;
static uint32_t next32(void) { rng = rng * 6364136223846793005ull + 1442695040888963407ull; return (uint32_t)(rng >> 32); }

int main(int argc, char **argv) {
  int flows = argc > 1 ? atoi(argv[1]) : 65536;
  long packets = argc > 2 ? atol(argv[2]) : 50000000L;
  uint32_t cap = 16;
  while (cap < 2u * (uint32_t)flows) cap <<= 1;
  table_t t;
  memset(&t, 0, sizeof t);
  t.slots = aligned_alloc(64, (size_t)cap * 64);
  memset(t.slots, 0, (size_t)cap * 64);
  t.mask = cap - 1;
  t.bucket_mask = t.mask & ~(uint32_t)(WINDOW - 1);
  t.seed = mix64(0x1234567887654321ull ^ 0x7461626C65050001ull);
  int32_t to[9] = {0, 60, 900, 120, 120, 10, 300, 60, 300};
  memcpy(t.timeouts, to, sizeof to);
  clock_gettime(CLOCK_MONOTONIC, &t.epoch);
  for (int b = 0; b < BACKENDS; b++) { backend_addr[b] = 0xC6336400u | (uint32_t)(b + 10); backend_mac[b] = 0x020000001000ull + (uint64_t)b; }
  uint32_t *ca = malloc(sizeof(uint32_t) * (size_t)flows);
  int *cp = malloc(sizeof(int) * (size_t)flows);
  for (int i = 0; i < flows; i++) {
    ca[i] = 0x0A000000u | (next32() & 0xFFFFFF);
    cp[i] = 1024 + (int)(next32() % 64000);
    if (open_flow(&t, ca[i], cp[i], i % BACKENDS) != 0) { fprintf(stderr, "table refused flow %d\n", i); return 1; }
  }
  uint8_t *frames = aligned_alloc(64, FRAMES * FLEN);
  for (int f = 0; f < FRAMES; f++) {
    uint8_t *p = frames + f * FLEN;
    int i = (int)(next32() % (uint32_t)flows);
    memset(p, 0, FLEN);
    wr48(p, 0x0200000000FEull); wr48(p + 6, 0x020000000002ull); wr16(p + 12, 0x0800);
    uint8_t *ip = p + 14;
    ip[0] = 0x45; wr16(ip + 2, 50); wr16(ip + 4, 1); wr16(ip + 6, 0x4000); ip[8] = 64; ip[9] = 6;
    wr32(ip + 12, ca[i]); wr32(ip + 16, VIP);
    wr16(ip + 10, checksum(ip, 20, 0));
    uint8_t *tcp = ip + 20;
    wr16(tcp, (uint16_t)cp[i]); wr16(tcp + 2, 80); wr32(tcp + 4, 1); tcp[12] = 5 << 4; tcp[13] = 0x18; wr16(tcp + 14, 64240);
    for (int k = 0; k < 10; k++) tcp[20 + k] = (uint8_t)k;
    uint64_t ph = (ca[i] >> 16) + (ca[i] & 0xFFFF) + (VIP >> 16) + (VIP & 0xFFFF) + 6 + 30;
    wr16(tcp + 16, checksum(tcp, 30, ph));
  }
  static uint8_t work[2048] __attribute__((aligned(64)));
  uint8_t *w = work + 128;
  long forwarded = 0;
  for (long n = 0; n < packets / 10; n++) {
    memcpy(w, frames + (n & (FRAMES - 1)) * FLEN, FLEN);
    forwarded += established(&t, w, FLEN);
  }
  /* thread CPU time, as the Java side (CpuTimeComparison) uses: descheduled time counts on neither */
  struct timespec a, b, wa, wb;
  clock_gettime(CLOCK_MONOTONIC, &wa);
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
  for (long n = 0; n < packets; n++) {
    memcpy(w, frames + (n & (FRAMES - 1)) * FLEN, FLEN);
    forwarded += established(&t, w, FLEN);
  }
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
  clock_gettime(CLOCK_MONOTONIC, &wb);
  double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / (double)packets;
  double wall = ((double)(wb.tv_sec - wa.tv_sec) * 1e9 + (double)(wb.tv_nsec - wa.tv_nsec)) / (double)packets;
  if (forwarded != packets + packets / 10) { fprintf(stderr, "only %ld of %ld forwarded\n", forwarded, packets + packets / 10); return 1; }
  printf("flows=%d cpu_ns_per_packet=%.2f wall_ns_per_packet=%.2f\n", flows, ns, wall);
  return 0;
}
