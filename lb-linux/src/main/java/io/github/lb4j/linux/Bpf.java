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
  /** {@code BPF_RET | BPF_K}: accept k bytes (0 drops). */
  public static final int RET_K = 0x06;

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
