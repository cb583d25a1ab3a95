package io.github.lb4j.gateway.datapath;

import io.github.lb4j.linux.Bpf;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which worker owns a flow, and the classic BPF program that makes the kernel deliver every frame of
 * a flow, both ways, to that worker's sockets ({@code PACKET_FANOUT_CBPF}, packet(7)).
 *
 * <p>Each worker has its own flow table, so both directions of a flow must reach the same worker
 * although the balancer rewrites addresses between them. The flow's invariant is its client: a
 * frame to the VIP carries it as its source; a reply (server to client, through the balancer) as its
 * destination; an ICMP error carries the offending header inside (RFC 792), whose client side is
 * found the same way. A hash of the client's address and port picks the worker. A source-NATed
 * flow's replies are addressed to the balancer, not the client: for them the worker is named by the
 * destination port, since each worker takes its source-NAT ports from its own run ({@link
 * #snatPortLow}), so a reply names its owner. Katran and Maglev spread flows over cores by a hash of
 * the 5-tuple in the NIC (RSS) and need no return path; a NAT balancer's return path is why the port
 * runs exist, as in IPVS's and Envoy's per-worker port ranges.
 *
 * <p>What cannot be told apart goes to worker 0 or by address alone: IPv6 and non-IP frames (ARP,
 * neighbour discovery) go to worker 0, so an IPv6 VIP is served by one worker; IPv4 fragments carry
 * no ports past the first, so every fragment is steered by the client's address alone (the same
 * worker for every fragment of a datagram; a flow whose datagrams are sometimes fragmented may then
 * be tracked on two workers, which the hashing schedulers send to the same backend) and a fragment
 * of a source-NATed reply goes to worker 0. An ICMP error whose quoted IPv4 header has options is
 * steered as if it had none.
 *
 * <p>Stateless; any thread; {@link #program} allocates, the port arithmetic does not; nothing blocks.
 */
final class Steering {

  /** The source-NAT ports, as lb-nat's default: every port above the well-known ones. */
  static final int SNAT_PORT_LOW = 1024;
  static final int SNAT_PORT_HIGH = 65_535;
  private static final int ETH_P_IP = 0x0800;
  private static final int GOLDEN = 0x9E37_79B1;
  private static final int MIX = 0x85EB_CA6B;

  private Steering() {}

  /** The first source-NAT port of worker {@code w} of {@code n}: each has its own run of ports, so a reply names its owner. */
  static int snatPortLow(int w, int n) {
    return SNAT_PORT_LOW + w * perWorker(n);
  }

  /** The last source-NAT port of worker {@code w} of {@code n} (the last worker takes what the division leaves). */
  static int snatPortHigh(int w, int n) {
    return w == n - 1 ? SNAT_PORT_HIGH : snatPortLow(w + 1, n) - 1;
  }

  private static int perWorker(int n) {
    return (SNAT_PORT_HIGH - SNAT_PORT_LOW + 1) / n;
  }

  /** The worker of a client (IPv4 address, port), as {@link #program} computes it. */
  static int workerOf(int address, int port, int n) {
    int h = (address * GOLDEN ^ port) * MIX;
    return Integer.remainderUnsigned(h ^ (h >>> 16), n);
  }

  /** The worker of a source-NAT port, as {@link #program} computes it. */
  static int workerOfSnatPort(int port, int n) {
    if (port < SNAT_PORT_LOW) {
      return -1;
    }
    return Math.min((port - SNAT_PORT_LOW) / perWorker(n), n - 1);
  }

  /**
   * The fanout program for {@code n} workers: returns the worker's index (the kernel takes it
   * modulo the group's size; members join in worker order). The packet starts at its network
   * header. Scratch memory: M[0] the client's address, M[1] its port, M[2] the hash. Classic BPF
   * jumps only forward, so the blocks are in the order they may follow one another.
   *
   * @param n workers, 2 or more
   * @param vip4 the IPv4 VIP, or 0 for an IPv6 VIP
   * @param snat4 the IPv4 source-NAT addresses
   */
  static long[] program(int n, int vip4, int[] snat4) {
    Asm a = new Asm();
    a.op(Bpf.LD_H_ABS, Bpf.AD_PROTOCOL);
    a.jeq(ETH_P_IP, "ipv4", "zero");

    a.label("ipv4");
    a.op(Bpf.LD_H_ABS, 6);
    a.jset(0x3FFF, "byAddress", "whole");

    a.label("whole");
    a.op(Bpf.LD_B_ABS, 9);
    a.jeq(6, "ports", "notTcp");
    a.label("notTcp");
    a.jeq(17, "ports", "notUdp");
    a.label("notUdp");
    a.jeq(1, "icmp", "byAddress");

    a.label("ports");
    a.op(Bpf.LDX_B_MSH, 0);
    a.op(Bpf.LD_W_ABS, 16);
    a.jeq(vip4, "request", "reply");
    a.label("request");
    a.op(Bpf.LD_W_ABS, 12);
    a.op(Bpf.ST, 0);
    a.op(Bpf.LD_H_IND, 0);
    a.op(Bpf.ST, 1);
    a.ja("hash");
    a.label("reply");
    a.op(Bpf.ST, 0);
    a.op(Bpf.LD_H_IND, 2);
    a.op(Bpf.ST, 1);
    a.op(Bpf.LD_MEM, 0);
    snatTest(a, snat4, "byPort", "hash");

    // RFC 792: type 3 (unreachable), 11 (time exceeded), 12 (parameter problem) quote the header
    a.label("icmp");
    a.op(Bpf.LDX_B_MSH, 0);
    a.op(Bpf.LD_B_IND, 0);
    a.jeq(3, "error", "not3");
    a.label("not3");
    a.jeq(11, "error", "not11");
    a.label("not11");
    a.jeq(12, "error", "byAddress");
    a.label("error");
    a.op(Bpf.LD_W_ABS, 16);
    a.jeq(vip4, "errorAtVip", "errorElsewhere");
    // about a reply the VIP sent: the client is the quoted destination
    a.label("errorAtVip");
    a.op(Bpf.LD_W_IND, 8 + 16);
    a.op(Bpf.ST, 0);
    a.op(Bpf.LD_H_IND, 8 + 20 + 2);
    a.op(Bpf.ST, 1);
    a.ja("hash");
    // about a request the balancer forwarded: the quoted source is the client, or a source-NAT address
    a.label("errorElsewhere");
    a.op(Bpf.LD_W_IND, 8 + 12);
    a.op(Bpf.ST, 0);
    a.op(Bpf.LD_H_IND, 8 + 20);
    a.op(Bpf.ST, 1);
    a.op(Bpf.LD_MEM, 0);
    snatTest(a, snat4, "byPort", "hash");

    // a fragment, or a protocol without ports: the client's address alone
    a.label("byAddress");
    a.op(Bpf.LD_IMM, 0);
    a.op(Bpf.ST, 1);
    a.op(Bpf.LD_W_ABS, 16);
    a.jeq(vip4, "addressIsSource", "addressIsDestination");
    a.label("addressIsSource");
    a.op(Bpf.LD_W_ABS, 12);
    a.label("addressIsDestination");
    a.op(Bpf.ST, 0);
    a.op(Bpf.LD_W_ABS, 16);
    // a fragment of a source-NATed reply names no port: worker 0
    snatTest(a, snat4, "zero", "hash");

    a.label("byPort");
    a.op(Bpf.LD_MEM, 1);
    a.jge(SNAT_PORT_LOW, "inRun", "hash");
    a.label("inRun");
    a.op(Bpf.SUB_K, SNAT_PORT_LOW);
    a.op(Bpf.DIV_K, perWorker(n));
    a.jge(n - 1, "last", "returnA");
    a.label("last");
    a.op(Bpf.RET_K, n - 1);

    a.label("hash");
    a.op(Bpf.LD_MEM, 0);
    a.op(Bpf.MUL_K, GOLDEN);
    a.op(Bpf.LDX_MEM, 1);
    a.op(Bpf.XOR_X, 0);
    a.op(Bpf.MUL_K, MIX);
    a.op(Bpf.ST, 2);
    a.op(Bpf.RSH_K, 16);
    a.op(Bpf.TAX, 0);
    a.op(Bpf.LD_MEM, 2);
    a.op(Bpf.XOR_X, 0);
    a.label("returnA");
    a.op(Bpf.RET_A, 0);

    a.label("zero");
    a.op(Bpf.RET_K, 0);
    return a.assemble();
  }

  /** Jumps to {@code yes} when A is one of the source-NAT addresses, else to {@code no}. */
  private static void snatTest(Asm a, int[] snat4, String yes, String no) {
    for (int i = 0; i < snat4.length; i++) {
      String next = "snat" + a.size() + "_" + i;
      a.jeq(snat4[i], yes, next);
      a.label(next);
    }
    a.ja(no);
  }

  /** A classic BPF assembler with forward jumps to labels. */
  private static final class Asm {
    private record Insn(int code, int k, String jt, String jf) {}

    private final List<Insn> code = new ArrayList<>();
    private final Map<String, Integer> labels = new HashMap<>();

    int size() {
      return code.size();
    }

    void op(int opcode, int k) {
      code.add(new Insn(opcode, k, null, null));
    }

    void jeq(int k, String jt, String jf) {
      code.add(new Insn(Bpf.JEQ_K, k, jt, jf));
    }

    void jset(int k, String jt, String jf) {
      code.add(new Insn(Bpf.JSET_K, k, jt, jf));
    }

    void jge(int k, String jt, String jf) {
      code.add(new Insn(Bpf.JGE_K, k, jt, jf));
    }

    void ja(String to) {
      code.add(new Insn(Bpf.JA, 0, to, null));
    }

    void label(String name) {
      if (labels.put(name, code.size()) != null) {
        throw new IllegalStateException("label " + name + " twice");
      }
    }

    long[] assemble() {
      long[] out = new long[code.size()];
      for (int i = 0; i < out.length; i++) {
        Insn in = code.get(i);
        if (in.code() == Bpf.JA) {
          out[i] = Bpf.insn(Bpf.JA, 0, 0, offset(i, in.jt()));
        } else if (in.jt() != null) {
          out[i] = Bpf.insn(in.code(), offset(i, in.jt()), offset(i, in.jf()), in.k());
        } else {
          out[i] = Bpf.insn(in.code(), 0, 0, in.k());
        }
      }
      return out;
    }

    private int offset(int from, String label) {
      Integer to = labels.get(label);
      if (to == null || to <= from) {
        throw new IllegalStateException("jump from " + from + " to " + label + " is not forward");
      }
      return to - from - 1;
    }
  }
}
