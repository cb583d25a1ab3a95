/*
 * The lean C reference of established-flow DNAT: the work lb4j's packet core must do per packet, written
 * the way a C data plane would write it (gcc -O2, no bounds checks, __builtin_prefetch), to measure
 * lb4j against (PacketCoreBenchmark, CpuTimeComparison).
 *
 * Per packet: copy a precomputed 64-byte frame into a work buffer; parse Ethernet (802.1Q aware), IPv4
 * and TCP with the checks lb4j's FrameParser makes; find the flow; keep its state; DNAT destination IP
 * and MAC with RFC 1624 updates of the IPv4 and TCP checksums.
 *
 * The table (the same work as FlowTable, designed lean):
 *   - 32-byte entries, two per 64-byte line; a line is a bucket; a key has two candidate lines.
 *   - The client side (client address, client port, protocol) fits one 64-bit word x: h = x * m0,
 *     xor-shifted, then multiply-shift (Dietzfelbinger et al. 1997, universal: floods cannot aim at a
 *     line without the random multipliers): (h * m1) >> s for the first line (two multiplies), (h * m2)
 *     >> s for the second; replies find flows through the same word.
 *   - A hit compares two words (client word, destination word) and reads one line in the common case.
 *   - No writes on the hit path unless something changes: TCP state, the first three packets, the
 *     last-seen second (at most once a second per flow). Expiry is lazy (checked at lookup) and a sweep
 *     paced by time (the whole table every 10 s) runs at clock readings, one every 64 packets.
 *   - Counters: hits and misses per table, packets and bytes per backend and direction.
 *
 * Working sets: "cycled4096" cycles 4,096 precomputed frames of random flows (about 4,000 distinct
 * flows touched, whatever the table size); "uniform" streams 2^20 precomputed frames, each of a
 * uniformly random flow among all of them, so every flow of the table is touched.
 * Batched mode ("batch"): frames in groups of BATCH; pass one copies and parses each and prefetches its
 * first line, pass two looks them up and rewrites them, so the lookups' memory misses overlap.
 *
 * Pages ("huge", the default, or "4k"): the table on transparent huge pages (2 MB, madvise), as the
 * Java side's heap is with -XX:+UseTransparentHugePages; a 1M-flow table spans 16,384 pages of 4 KB,
 * far more than the TLB holds, and 32 huge pages.
 *
 *   gcc -O2 -o nat_lean nat_lean.c
 *   ./nat_lean FLOWS PACKETS cycled4096|uniform single|batch [huge|4k]
 * Prints: flows=<n> set=<set> mode=<mode> cpu_ns_per_packet=<thread CPU time> wall_ns_per_packet=<wall>
 */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define FLEN 64
#define BACKENDS 64
#define BATCH 16
#define VIP 0xCB007105u
#define OCCUPIED 1ull
#define V6 2ull
#define DEST_MASK 0xFFFFFFFFFFFF0000ull
#define STATE_SHIFT 12
#define STATE_MASK (0xFull << STATE_SHIFT)
#define REPLIED (1ull << 11)
#define SEEN_SHIFT 6
#define SEEN_MASK (3ull << SEEN_SHIFT)
#define ESTABLISHED 2

typedef struct { uint64_t key, dest, seen_backend, seq_translation; } entry_t; /* 32 bytes */

typedef struct {
  entry_t *e;
  uint32_t line_mask;
  int shift;
  uint64_t m0, m1, m2;
  int32_t now;
  uint32_t ops;
  int32_t timeouts[9];
  uint64_t hits, misses;
  uint64_t backend_counts[4 * BACKENDS];
  struct timespec epoch;
  double lines_per_ns;
  uint64_t swept_lines, sweep_line;
} table_t;

static inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
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

static inline uint64_t key_v4(int proto, uint32_t client, int port) {
  return (uint64_t)client << 32 | (uint64_t)port << 16 | (uint64_t)proto << 8 | OCCUPIED;
}
static inline uint64_t scramble(const table_t *t, uint64_t x) {
  uint64_t h = x * t->m0;
  return h ^ (h >> 29);
}
static inline uint32_t line1(const table_t *t, uint64_t x) { return (uint32_t)((scramble(t, x) * t->m1) >> t->shift); }
static inline uint32_t line2(const table_t *t, uint64_t x) { return (uint32_t)((scramble(t, x) * t->m2) >> t->shift); }

static uint64_t rng = 42;
static uint32_t next32(void) { rng = rng * 6364136223846793005ull + 1442695040888963407ull; return (uint32_t)(rng >> 32); }

static inline int expired(const table_t *t, const entry_t *e) {
  int state = (int)((e->dest & STATE_MASK) >> STATE_SHIFT);
  return t->now - (int32_t)(e->seen_backend >> 32) >= t->timeouts[state];
}

static void free_entry(table_t *t, entry_t *e) { (void)t; e->key = 0; e->dest = 0; }

static void sweep_lines(table_t *t, int n) {
  for (int i = 0; i < n; i++) {
    t->sweep_line = (t->sweep_line + 1) & t->line_mask;
    entry_t *a = t->e + 2 * t->sweep_line;
    uint64_t k = a[0].key;
    if (k != 0 && expired(t, &a[0])) free_entry(t, &a[0]);
    if ((k & V6) == 0 && a[1].key != 0 && expired(t, &a[1])) free_entry(t, &a[1]);
  }
}

static void refresh_clock(table_t *t) {
  struct timespec c;
  clock_gettime(CLOCK_MONOTONIC, &c);
  int64_t elapsed = (int64_t)(c.tv_sec - t->epoch.tv_sec) * 1000000000LL + (c.tv_nsec - t->epoch.tv_nsec);
  t->now = (int32_t)(elapsed / 1000000000LL);
  int64_t due = (int64_t)(elapsed * t->lines_per_ns) - (int64_t)t->swept_lines;
  if (due > 0) {
    int n = due > 1024 ? 1024 : (int)due;
    sweep_lines(t, n);
    t->swept_lines += (uint64_t)n;
  }
}

static inline void tick(table_t *t) {
  if ((++t->ops & 63) == 0) refresh_clock(t);
}

static inline entry_t *find(table_t *t, uint64_t k0, uint64_t k1) {
  entry_t *a = t->e + 2 * line1(t, k0);
  if (a[0].key == k0 && (a[0].dest & DEST_MASK) == k1) return &a[0];
  if (a[1].key == k0 && (a[1].dest & DEST_MASK) == k1 && (a[0].key & V6) == 0) return &a[1];
  entry_t *b = t->e + 2 * line2(t, k0);
  if (b[0].key == k0 && (b[0].dest & DEST_MASK) == k1) return &b[0];
  if (b[1].key == k0 && (b[1].dest & DEST_MASK) == k1 && (b[0].key & V6) == 0) return &b[1];
  return NULL;
}

static inline entry_t *lookup(table_t *t, int proto, uint32_t src, int sp, uint32_t dst, int dp) {
  tick(t);
  uint64_t k0 = key_v4(proto, src, sp);
  uint64_t k1 = (uint64_t)dst << 32 | (uint64_t)dp << 16;
  entry_t *e = find(t, k0, k1);
  if (e != NULL) {
    if (!expired(t, e)) { t->hits++; return e; }
    free_entry(t, e);
  }
  t->misses++;
  return NULL;
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

/* Writes the entry only when something changed; counts the packet on its backend. */
static inline int touch(table_t *t, entry_t *e, int flags, int from_client, int bytes) {
  uint64_t w1 = e->dest, w2 = e->seen_backend;
  uint32_t handle = (uint32_t)w2;
  int state = (int)((w1 & STATE_MASK) >> STATE_SHIFT);
  uint64_t next = w1;
  if (state <= 5 && flags != 0) {
    int to = next_tcp_state(state, flags, from_client);
    if (to != state) { next = (next & ~STATE_MASK) | (uint64_t)to << STATE_SHIFT; state = to; }
  }
  if ((next & SEEN_MASK) != SEEN_MASK) next += 1ull << SEEN_SHIFT;
  if (!from_client) next |= REPLIED;
  if (next != w1) e->dest = next;
  if ((int32_t)(w2 >> 32) != t->now) e->seen_backend = (uint64_t)(uint32_t)t->now << 32 | (w2 & 0xFFFFFFFFull);
  uint64_t *c = t->backend_counts + 4 * handle + (from_client ? 0 : 2);
  c[0]++;
  c[1] += (uint64_t)bytes;
  return state;
}

/* Set-up only: a free slot of the key's two lines, else cuckoo moves (random walk, as in the Java
   table's insert which searches paths breadth-first), so that flows sit where lb4j would put them. */
static int place(table_t *t, entry_t v, int kicks) {
  for (int k = 0; k < kicks; k++) {
    uint32_t lines[2] = {line1(t, v.key), line2(t, v.key)};
    for (int l = 0; l < 2; l++) {
      entry_t *a = t->e + 2 * lines[l];
      for (int i = 0; i < 2; i++) {
        if (a[i].key == 0) { a[i] = v; return 0; }
      }
    }
    entry_t *victim = t->e + 2 * lines[next32() & 1] + (next32() & 1);
    entry_t out = *victim;
    *victim = v;
    v = out;
  }
  return -1;
}

static int open_flow(table_t *t, uint32_t client, int port, int backend, uint32_t seq) {
  entry_t v;
  v.key = key_v4(6, client, port);
  v.dest = (uint64_t)VIP << 32 | (uint64_t)80 << 16 | (uint64_t)ESTABLISHED << STATE_SHIFT;
  v.seen_backend = (uint64_t)(uint32_t)t->now << 32 | (uint32_t)backend;
  v.seq_translation = (uint64_t)seq << 32;
  return place(t, v, 1000);
}

/* The table's memory: on transparent huge pages when asked (2 MB aligned, madvise), else 4 KB pages. */
static void *table_alloc(size_t n, int huge) {
  if (!huge) return aligned_alloc(64, n);
  size_t page = (size_t)2 << 20, size = (n + page - 1) / page * page;
  void *p = aligned_alloc(page, size);
  if (p != NULL && madvise(p, size, MADV_HUGEPAGE) != 0) perror("madvise(MADV_HUGEPAGE)");
  return p;
}

static uint32_t backend_addr[BACKENDS];
static uint64_t backend_mac[BACKENDS];

typedef struct { uint8_t *ip, *tcp; uint32_t src, dst; int sp, dp, flags, ok; } parsed_t;

/* Ethernet (802.1Q aware), IPv4, TCP with the checks of lb4j's FrameParser; 0 when the frame is dropped. */
static inline int parse(uint8_t *f, int len, parsed_t *p) {
  p->ok = 0;
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
  int frag = rd16(ip + 6);
  if ((frag & 0x2000) || (frag & 0x1FFF)) return 0;
  if (ip[9] != 6) return 0;
  uint8_t *tcp = ip + ihl;
  int tavail = total - ihl;
  if (tavail < 20) return 0;
  int hl = (tcp[12] >> 4) << 2;
  if (hl < 20 || hl > tavail) return 0;
  p->ip = ip; p->tcp = tcp;
  p->src = rd32(ip + 12); p->dst = rd32(ip + 16);
  p->sp = rd16(tcp); p->dp = rd16(tcp + 2); p->flags = tcp[13];
  p->ok = 1;
  return 1;
}

static inline int rewrite(uint8_t *f, const parsed_t *p, uint32_t backend) {
  uint32_t rip = backend_addr[backend];
  wr32(p->ip + 16, rip);
  wr16(p->ip + 10, update32(rd16(p->ip + 10), p->dst, rip));
  wr16(p->tcp + 16, update32(rd16(p->tcp + 16), p->dst, rip));
  wr48(f, backend_mac[backend]);
  wr48(f + 6, 0x0200000000FEull);
  return 1;
}

/* Returns 1 (forward) or 0 (drop), as the Java path returns a verdict. */
static inline int established(table_t *t, uint8_t *f, int len) {
  parsed_t p;
  if (!parse(f, len, &p)) return 0;
  entry_t *e = lookup(t, 6, p.src, p.sp, p.dst, p.dp);
  if (e == NULL) return 0;
  touch(t, e, p.flags, 1, len);
  return rewrite(f, &p, (uint32_t)e->seen_backend);
}


static uint8_t work[BATCH][128] __attribute__((aligned(64)));

static long run(table_t *t, const uint8_t *frames, long nframes, long packets, int batch) {
  long forwarded = 0;
  if (!batch) {
    uint8_t *w = work[0] + 32;
    for (long n = 0; n < packets; n++) {
      memcpy(w, frames + (n & (nframes - 1)) * FLEN, FLEN);
      forwarded += established(t, w, FLEN);
    }
    return forwarded;
  }
  parsed_t p[BATCH];
  for (long n = 0; n < packets; n += BATCH) {
    for (int i = 0; i < BATCH; i++) {
      uint8_t *w = work[i] + 32;
      memcpy(w, frames + ((n + i) & (nframes - 1)) * FLEN, FLEN);
      if (parse(w, FLEN, &p[i])) __builtin_prefetch(t->e + 2 * line1(t, key_v4(6, p[i].src, p[i].sp)));
    }
    for (int i = 0; i < BATCH; i++) {
      if (!p[i].ok) continue;
      entry_t *e = lookup(t, 6, p[i].src, p[i].sp, p[i].dst, p[i].dp);
      if (e == NULL) continue;
      touch(t, e, p[i].flags, 1, FLEN);
      forwarded += rewrite(work[i] + 32, &p[i], (uint32_t)e->seen_backend);
    }
  }
  return forwarded;
}

int main(int argc, char **argv) {
  int flows = argc > 1 ? atoi(argv[1]) : 65536;
  long packets = argc > 2 ? atol(argv[2]) : 50000000L;
  const char *set = argc > 3 ? argv[3] : "uniform";
  const char *mode = argc > 4 ? argv[4] : "single";
  const char *pages = argc > 5 ? argv[5] : "huge";
  int uniform = strcmp(set, "uniform") == 0, batch = strcmp(mode, "batch") == 0, huge = strcmp(pages, "huge") == 0;
  if ((!uniform && strcmp(set, "cycled4096") != 0) || (!batch && strcmp(mode, "single") != 0) || flows < 1
      || (!huge && strcmp(pages, "4k") != 0)) {
    fprintf(stderr, "usage: nat_lean FLOWS PACKETS cycled4096|uniform single|batch [huge|4k]\n");
    return 2;
  }
  packets -= packets % BATCH;
  uint32_t cap = 16;
  while (cap < 2u * (uint32_t)flows) cap <<= 1;
  uint32_t lines = cap / 2;
  table_t *t = calloc(1, sizeof *t);
  t->e = table_alloc((size_t)cap * sizeof(entry_t), huge);
  memset(t->e, 0, (size_t)cap * sizeof(entry_t));
  t->line_mask = lines - 1;
  t->shift = 64 - __builtin_ctz(lines);
  t->m0 = mix64(0x1234567887654321ull ^ 0x6D30000000000000ull) | 1;
  t->m1 = mix64(0x1234567887654321ull ^ 0x6D31000000000001ull) | 1;
  t->m2 = mix64(0x1234567887654321ull ^ 0x6D32000000000002ull) | 1;
  int32_t to[9] = {0, 60, 900, 120, 120, 10, 300, 60, 300};
  memcpy(t->timeouts, to, sizeof to);
  clock_gettime(CLOCK_MONOTONIC, &t->epoch);
  t->lines_per_ns = (double)lines / 10e9;
  for (int b = 0; b < BACKENDS; b++) { backend_addr[b] = 0xC6336400u | (uint32_t)(b + 10); backend_mac[b] = 0x020000001000ull + (uint64_t)b; }
  uint32_t *ca = malloc(sizeof(uint32_t) * (size_t)flows);
  int *cp = malloc(sizeof(int) * (size_t)flows);
  for (int i = 0; i < flows; i++) {
    ca[i] = 0x0A000000u | (next32() & 0xFFFFFF);
    cp[i] = 1024 + (int)(next32() % 64000);
    if (open_flow(t, ca[i], cp[i], i % BACKENDS, (uint32_t)i) != 0) { fprintf(stderr, "table refused flow %d\n", i); return 1; }
  }
  long nframes = uniform ? 1L << 20 : 4096;
  uint8_t *frames = aligned_alloc(64, (size_t)nframes * FLEN);
  for (long f = 0; f < nframes; f++) {
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
  long warm = packets / 5 - (packets / 5) % BATCH;
  long forwarded = run(t, frames, nframes, warm, batch);
  struct timespec a, b, wa, wb;
  clock_gettime(CLOCK_MONOTONIC, &wa);
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
  forwarded += run(t, frames, nframes, packets, batch);
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
  clock_gettime(CLOCK_MONOTONIC, &wb);
  double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / (double)packets;
  double wall = ((double)(wb.tv_sec - wa.tv_sec) * 1e9 + (double)(wb.tv_nsec - wa.tv_nsec)) / (double)packets;
  if (forwarded != packets + warm) { fprintf(stderr, "only %ld of %ld forwarded\n", forwarded, packets + warm); return 1; }
  uint64_t counted = 0;
  for (int k = 0; k < BACKENDS; k++) counted += t->backend_counts[4 * k];
  if (counted != (uint64_t)(packets + warm) || t->hits != (uint64_t)(packets + warm)) { fprintf(stderr, "counters disagree\n"); return 1; }
  printf("flows=%d set=%s mode=%s pages=%s cpu_ns_per_packet=%.2f wall_ns_per_packet=%.2f\n", flows, set, mode, pages, ns, wall);
  return 0;
}
