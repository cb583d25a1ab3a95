package io.github.lb4j.linux;

/**
 * Classic BPF instructions ({@code struct sock_filter}, {@code linux/filter.h}) for {@link
 * IpSocket#attachFilter} and {@link PacketSocket#attachFilter}, packed into a {@code long}: code in
 * bits 63..48, jt in 47..40, jf in 39..32, k in 31..0.
 *
 * <p>Stateless; any thread may call it; never allocates or blocks.
 */
public final class Bpf {

  /** {@code BPF_LD | BPF_B | BPF_ABS}: A = byte at k. */
  public static final int LD_B_ABS = 0x30;
  /** {@code BPF_LD | BPF_H | BPF_ABS}: A = big-endian halfword at k. */
  public static final int LD_H_ABS = 0x28;
  /** {@code BPF_LD | BPF_W | BPF_ABS}: A = big-endian word at k. */
  public static final int LD_W_ABS = 0x20;
  /** {@code BPF_LD | BPF_IMM}: A = k. */
  public static final int LD_IMM = 0x00;
  /** {@code BPF_LD | BPF_W | BPF_IND}: A = big-endian word at X + k. */
  public static final int LD_W_IND = 0x40;
  /** {@code BPF_LD | BPF_B | BPF_IND}: A = byte at X + k. */
  public static final int LD_B_IND = 0x50;
  /** {@code BPF_LD | BPF_H | BPF_IND}: A = big-endian halfword at X + k. */
  public static final int LD_H_IND = 0x48;
  /** {@code BPF_LDX | BPF_B | BPF_MSH}: {@code X = 4 * (byte at k & 0xf)}, the IPv4 header length. */
  public static final int LDX_B_MSH = 0xb1;
  /** {@code BPF_ALU | BPF_AND | BPF_K}: {@code A &= k}. */
  public static final int AND_K = 0x54;
  /** {@code BPF_JMP | BPF_JEQ | BPF_K}: jump jt if A == k else jf. */
  public static final int JEQ_K = 0x15;
  /** {@code BPF_JMP | BPF_JSET | BPF_K}: jump jt if {@code A & k} else jf. */
  public static final int JSET_K = 0x45;
  /** {@code BPF_RET | BPF_K}: accept k bytes (0 drops); a fanout program's member index. */
  public static final int RET_K = 0x06;
  /** {@code BPF_RET | BPF_A}: return A. */
  public static final int RET_A = 0x16;
  /** {@code BPF_ST}: {@code M[k] = A}, k in 0..15. */
  public static final int ST = 0x02;
  /** {@code BPF_LD | BPF_MEM}: {@code A = M[k]}. */
  public static final int LD_MEM = 0x60;
  /** {@code BPF_LDX | BPF_MEM}: {@code X = M[k]}. */
  public static final int LDX_MEM = 0x61;
  /** {@code BPF_MISC | BPF_TAX}: {@code X = A}. */
  public static final int TAX = 0x07;
  /** {@code BPF_ALU | BPF_ADD | BPF_K}: {@code A += k}. */
  public static final int ADD_K = 0x04;
  /** {@code BPF_ALU | BPF_SUB | BPF_K}: {@code A -= k}. */
  public static final int SUB_K = 0x14;
  /** {@code BPF_ALU | BPF_MUL | BPF_K}: {@code A *= k}, modulo 2^32. */
  public static final int MUL_K = 0x24;
  /** {@code BPF_ALU | BPF_DIV | BPF_K}: {@code A /= k}, unsigned. */
  public static final int DIV_K = 0x34;
  /** {@code BPF_ALU | BPF_RSH | BPF_K}: {@code A >>>= k}. */
  public static final int RSH_K = 0x74;
  /** {@code BPF_ALU | BPF_XOR | BPF_X}: {@code A ^= X}. */
  public static final int XOR_X = 0xac;
  /** {@code BPF_JMP | BPF_JA}: jump k forward. */
  public static final int JA = 0x05;
  /** {@code BPF_JMP | BPF_JGT | BPF_K}: jump jt if A > k (unsigned) else jf. */
  public static final int JGT_K = 0x25;
  /** {@code BPF_JMP | BPF_JGE | BPF_K}: jump jt if A >= k (unsigned) else jf. */
  public static final int JGE_K = 0x35;
  /** {@code SKF_AD_OFF + SKF_AD_PROTOCOL}: with {@link #LD_H_ABS}, A = the frame's EtherType ({@code skb->protocol}, host order). */
  public static final int AD_PROTOCOL = 0xFFFF_F000;

  private Bpf() {}

  /**
   * Packs one instruction.
   *
   * @param code the opcode, for example {@link #LD_B_ABS}
   * @param jt the forward jump when true, 0..255
   * @param jf the forward jump when false, 0..255
   * @param k the constant
   * @return the packed instruction
   */
  public static long insn(int code, int jt, int jf, int k) {
    if (jt < 0 || jt > 255 || jf < 0 || jf > 255) {
      throw new IllegalArgumentException("BPF jumps must be 0..255, were jt=" + jt + " jf=" + jf);
    }
    return ((long) (code & 0xFFFF) << 48) | ((long) jt << 40) | ((long) jf << 32) | (k & 0xFFFF_FFFFL);
  }
}
