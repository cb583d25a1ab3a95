package io.github.lb4j.nat;

import io.github.lb4j.api.Direction;
import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.api.Frame;
import io.github.lb4j.api.MacAddress;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.nat.header.EthernetFlyweight;
import io.github.lb4j.nat.header.FrameBuilder;
import io.github.lb4j.nat.header.FrameParser;
import io.github.lb4j.nat.header.TcpFlyweight;
import io.github.lb4j.nat.pcap.PcapWriter;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * A human-readable packet walk of one TCP request (SYN) and its reply (SYN+ACK) through a forwarding
 * mode, hop by hop, with MACs, addresses, ports, TTL and DSCP and what changed at each hop, like the
 * seed's diagrams (S5, S6); and the same frames as a pcap. The server's side is played by the walk
 * itself as a real server of that mode would answer (from its own address in the NAT modes, from
 * the VIP held on loopback in the DSR modes, after decapsulating or restoring the VIP by DSCP).
 * Link-layer addresses are the translator's own choices, from its ports and neighbour table: the
 * client's frame is addressed to the clients' port, the server's reply to the servers' port (its
 * gateway) in the modes whose replies pass the balancer, and what the balancer sends is exactly
 * what a datapath would put on the wire.
 *
 * <p>Diagnostics, not the packet path: allocates; one thread; {@link #writePcap} blocks on I/O. The
 * translator's flow table gains the walked flow.
 */
public final class NatTrace {

  /**
   * One hop of the walk.
   *
   * @param step the hop's number, 1 up
   * @param title who sends to whom
   * @param frame the frame's bytes as they travel
   * @param line the decoded frame
   * @param changes what differs from the previous hop of the same packet
   */
  public record Hop(int step, String title, byte[] frame, String line, String changes) {}

  private final List<Hop> hops = new ArrayList<>();
  private final ForwardingMode mode;

  private NatTrace(ForwardingMode mode) {
    this.mode = mode;
  }

  /** {@return the hops in order} */
  public List<Hop> hops() {
    return List.copyOf(hops);
  }

  /**
   * Walks one TCP connection's first packets through a translator.
   *
   * @param translator the translator (its scheduler picks the backend)
   * @param client the client's address, of the VIP's family
   * @param clientPort the client's port
   * @param clientMac the MAC the client's frames come from (its router in front of the balancer)
   * @param vip the VIP
   * @param vipPort the service port
   * @return the walk
   */
  public static NatTrace walk(PacketTranslator translator, InetAddress client, int clientPort, MacAddress clientMac,
      InetAddress vip, int vipPort) {
    NatConfig c = translator.config();
    NatTrace trace = new NatTrace(c.mode());
    boolean six = !IpAddresses.isV4(client);
    ByteBuffer b = ByteBuffer.allocate(4096);
    int at = 128;
    FrameBuilder fb = new FrameBuilder().macs(c.clientSide().mac().toLong(), clientMac.toLong()).ports(clientPort, vipPort)
        .tcpFlags(TcpFlyweight.SYN).sequence(1000, 0).ttl(64);
    address(fb, six, client, vip);
    int n = fb.writeTcp(b, at);
    Frame frame = new Frame(b, at, n).ingressPort(c.clientPort());
    trace.add("client -> balancer", b, at, n, null);
    byte[] before = copy(b, at, n);
    int v = translator.translate(frame, Direction.CLIENT_TO_SERVER);
    if (Verdict.action(v) != Verdict.FORWARD) {
      trace.add("balancer: " + Verdict.toString(v), b, frame.offset(), frame.length(), before);
      return trace;
    }
    trace.add("balancer -> server  [" + Verdict.toString(v) + "]", b, frame.offset(), frame.length(), before);
    FrameParser p = new FrameParser();
    p.parse(b, frame.offset(), frame.length());
    long serverMac = EthernetFlyweight.destination(b, frame.offset());
    // what the server sees after its own decapsulation or DSCP restore
    long rHi;
    long rLo;
    int rPort;
    long dHi = p.sourceAddressHigh();
    long dLo = p.sourceAddressLow();
    int dPort = p.sourcePort();
    if (c.mode().repliesPassBalancer()) {
      rHi = p.destinationAddressHigh();
      rLo = p.destinationAddressLow();
      rPort = p.destinationPort();
    } else {
      rHi = IpAddresses.high(vip);
      rLo = IpAddresses.low(vip);
      rPort = vipPort;
      dHi = IpAddresses.high(client);
      dLo = IpAddresses.low(client);
      dPort = clientPort;
    }
    String serverNote = switch (c.mode()) {
      case DSR_IPIP -> "server decapsulates, answers from the VIP on its loopback, directly to the client";
      case DSR_DSCP -> "server restores the VIP from the DSCP, answers from it directly to the client";
      case DSR_L2 -> "server holds the VIP on loopback, answers directly to the client";
      default -> "server answers to its gateway, the balancer";
    };
    long replyDstMac = c.mode().repliesPassBalancer() ? c.serverSide().mac().toLong() : clientMac.toLong();
    FrameBuilder rb = new FrameBuilder().macs(replyDstMac, serverMac).ports(rPort, dPort)
        .tcpFlags(TcpFlyweight.SYN | TcpFlyweight.ACK).sequence(5000, 1001).ttl(64);
    if (six) {
      rb.ipv6(rHi, rLo, dHi, dLo);
    } else {
      rb.ipv4((int) rLo, (int) dLo);
    }
    ByteBuffer r = ByteBuffer.allocate(4096);
    int rn = rb.writeTcp(r, at);
    trace.add((c.mode().repliesPassBalancer() ? "server -> balancer" : "server -> client") + "  (" + serverNote + ")",
        r, at, rn, null);
    if (!c.mode().repliesPassBalancer()) {
      return trace;
    }
    Frame replyFrame = new Frame(r, at, rn).ingressPort(c.serverPort());
    byte[] rbefore = copy(r, at, rn);
    int rv = translator.translate(replyFrame, Direction.SERVER_TO_CLIENT);
    trace.add((Verdict.action(rv) == Verdict.FORWARD ? "balancer -> client" : "balancer") + "  [" + Verdict.toString(rv) + "]",
        r, replyFrame.offset(), replyFrame.length(), rbefore);
    return trace;
  }

  private static void address(FrameBuilder fb, boolean six, InetAddress src, InetAddress dst) {
    if (six) {
      fb.ipv6(IpAddresses.high(src), IpAddresses.low(src), IpAddresses.high(dst), IpAddresses.low(dst));
    } else {
      fb.ipv4(IpAddresses.v4(src), IpAddresses.v4(dst));
    }
  }

  private static byte[] copy(ByteBuffer b, int off, int n) {
    byte[] a = new byte[n];
    b.get(off, a);
    return a;
  }

  private void add(String title, ByteBuffer b, int off, int n, @Nullable byte[] previous) {
    byte[] bytes = copy(b, off, n);
    String line = describe(ByteBuffer.wrap(bytes));
    String changes = "";
    if (previous != null) {
      changes = diff(describeFields(ByteBuffer.wrap(previous)), describeFields(ByteBuffer.wrap(bytes)));
    }
    hops.add(new Hop(hops.size() + 1, title, bytes, line, changes));
  }

  /** Decodes a frame into one line (allocates). */
  static String describe(ByteBuffer b) {
    String[] f = describeFields(b);
    StringBuilder sb = new StringBuilder();
    sb.append("eth ").append(f[0]).append(" > ").append(f[1]);
    if (!f[6].isEmpty()) {
      sb.append(" | outer ").append(f[6]);
    }
    sb.append(" | ").append(f[2]).append(" > ").append(f[3]).append(" ttl ").append(f[4]).append(" dscp ").append(f[5]);
    sb.append(" | ").append(f[7]);
    return sb.toString();
  }

  private static final String[] NAMES = {"src mac", "dst mac", "src", "dst", "ttl", "dscp", "outer header", "l4"};

  private static String[] describeFields(ByteBuffer b) {
    FrameParser p = new FrameParser();
    String[] f = {"", "", "", "", "", "", "", ""};
    int r = p.parse(b, 0, b.capacity());
    f[0] = MacAddress.ofLong(EthernetFlyweight.source(b, 0)).toString();
    f[1] = MacAddress.ofLong(EthernetFlyweight.destination(b, 0)).toString();
    if (r != FrameParser.OK) {
      f[7] = "unparsed (" + r + ")";
      return f;
    }
    int l3 = p.l3Offset();
    if ((p.protocolNumber() == 4 || p.protocolNumber() == 41) && p.l4HeaderLength() == 0) {
      f[6] = IpAddresses.format(p.isIpv6(), p.sourceAddressHigh(), p.sourceAddressLow()) + " > "
          + IpAddresses.format(p.isIpv6(), p.destinationAddressHigh(), p.destinationAddressLow())
          + (p.protocolNumber() == 4 ? " ipip" : " ip6ip6");
      int innerAt = p.l4Offset() - 14;
      ByteBuffer inner = ByteBuffer.allocate(b.capacity() - innerAt);
      for (int i = 0; i < 14; i++) {
        inner.put(i, b.get(i));
      }
      int innerType = p.protocolNumber() == 4 ? EthernetFlyweight.ETHER_TYPE_IPV4 : EthernetFlyweight.ETHER_TYPE_IPV6;
      inner.putShort(12, (short) innerType);
      for (int i = 14; i < inner.capacity(); i++) {
        inner.put(i, b.get(innerAt + i));
      }
      String[] g = describeFields(inner);
      f[2] = g[2];
      f[3] = g[3];
      f[4] = g[4];
      f[5] = g[5];
      f[7] = g[7];
      return f;
    }
    boolean six = p.isIpv6();
    String port = p.protocolNumber() == 6 || p.protocolNumber() == 17 ? ":" : "";
    f[2] = endpoint(six, IpAddresses.format(six, p.sourceAddressHigh(), p.sourceAddressLow()), port.isEmpty() ? -1 : p.sourcePort());
    f[3] = endpoint(six, IpAddresses.format(six, p.destinationAddressHigh(), p.destinationAddressLow()),
        port.isEmpty() ? -1 : p.destinationPort());
    f[4] = String.valueOf(six ? b.get(l3 + 7) & 0xFF : b.get(l3 + 8) & 0xFF);
    f[5] = String.valueOf(six ? (b.getInt(l3) >>> 22) & 0x3F : (b.get(l3 + 1) & 0xFF) >>> 2);
    if (p.protocolNumber() == 6) {
      f[7] = "tcp " + flags(p.tcpFlags());
    } else if (p.protocolNumber() == 17) {
      f[7] = "udp";
    } else if (p.icmpType() >= 0) {
      f[7] = (six ? "icmpv6" : "icmp") + " type " + p.icmpType();
    } else {
      f[7] = "protocol " + p.protocolNumber();
    }
    return f;
  }

  private static String endpoint(boolean six, String address, int port) {
    if (port < 0) {
      return address;
    }
    return six ? "[" + address + "]:" + port : address + ":" + port;
  }

  private static String flags(int f) {
    StringBuilder sb = new StringBuilder("[");
    String names = "FSRPAUEC";
    for (int i = 0; i < 8; i++) {
      if ((f & (1 << i)) != 0) {
        sb.append(names.charAt(i));
      }
    }
    return sb.append(']').toString();
  }

  private static String diff(String[] a, String[] b) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < a.length; i++) {
      if (!a[i].equals(b[i])) {
        if (sb.length() > 0) {
          sb.append(", ");
        }
        sb.append(NAMES[i]).append(' ').append(a[i].isEmpty() ? "(none)" : a[i]).append(" -> ")
            .append(b[i].isEmpty() ? "(none)" : b[i]);
      }
    }
    return sb.length() == 0 ? "nothing" : sb.toString();
  }

  /**
   * Formats the walk, one block per hop.
   *
   * @return the text
   */
  public String format() {
    StringBuilder sb = new StringBuilder();
    sb.append("mode ").append(mode.modeName()).append('\n');
    for (Hop h : hops) {
      sb.append(String.format(Locale.ROOT, "%d. %s%n   %s%n", h.step(), h.title(), h.line()));
      if (!h.changes().isEmpty()) {
        sb.append("   changed: ").append(h.changes()).append('\n');
      }
    }
    return sb.toString();
  }

  /**
   * Writes the hops' frames as a pcap, one microsecond apart.
   *
   * @param path the file
   * @throws IOException when writing fails
   */
  public void writePcap(Path path) throws IOException {
    try (PcapWriter w = PcapWriter.create(path)) {
      long t = 1_700_000_000_000_000_000L;
      for (Hop h : hops) {
        w.write(t += 1000, ByteBuffer.wrap(h.frame()), 0, h.frame().length);
      }
    }
  }

  @Override
  public String toString() {
    return format();
  }
}
