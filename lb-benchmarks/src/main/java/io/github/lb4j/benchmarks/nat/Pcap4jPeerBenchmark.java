package io.github.lb4j.benchmarks.nat;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IllegalRawDataException;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.TcpPacket;
import org.pcap4j.util.MacAddress;

/**
 * The Java peer: pcap4j parsing the same 64-byte frames as {@link PacketCoreBenchmark} and
 * rebuilding them with the DNAT rewrite (destination IP and MAC, checksums recomputed by the
 * builder). pcap4j has no flow table, so this measures parse and rewrite only, against lb4j's parse,
 * lookup and rewrite. pcap4j allocates per packet; the {@code -prof gc} column shows how much.
 *
 * <pre>lb-benchmarks/bench 'PacketCoreBenchmark.establishedDnat|Pcap4jPeerBenchmark' -p flows=65536 -prof gc</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class Pcap4jPeerBenchmark {

  private static final int MASK = NatFixtures.CYCLED_FRAMES - 1;
  private final byte[][] frames = new byte[NatFixtures.CYCLED_FRAMES][];
  private Inet4Address[] backendAddress;
  private MacAddress[] backendMac;
  private int i;

  /**
   * Copies the frames out of the shared fixture and checks pcap4j parses the first one as TCP.
   *
   * @throws Exception when the fixture is not parsable
   */
  @Setup
  public void setUp() throws Exception {
    NatFixtures f = new NatFixtures(65_536, 42);
    f.writeFrames(43, 0x18);
    for (int k = 0; k < frames.length; k++) {
      frames[k] = new byte[NatFixtures.FRAME_LENGTH];
      f.frames.get(k * NatFixtures.FRAME_LENGTH, frames[k]);
    }
    backendAddress = new Inet4Address[NatFixtures.BACKENDS];
    backendMac = new MacAddress[NatFixtures.BACKENDS];
    for (int b = 0; b < NatFixtures.BACKENDS; b++) {
      backendAddress[b] = v4(f.backendAddress[b]);
      backendMac[b] = MacAddress.getByAddress(longToMac(f.backendMac[b]));
    }
    if (!EthernetPacket.newPacket(frames[0], 0, frames[0].length).contains(TcpPacket.class)) {
      throw new IllegalStateException("pcap4j did not find TCP in the fixture");
    }
  }

  /**
   * Parses one frame, rewrites destination IP and MAC, rebuilds it with fresh checksums.
   *
   * @return the rebuilt frame
   * @throws IllegalRawDataException never for the fixture's frames
   */
  @Benchmark
  public byte[] parseAndRebuild() throws IllegalRawDataException {
    byte[] raw = frames[i++ & MASK];
    EthernetPacket eth = EthernetPacket.newPacket(raw, 0, raw.length);
    IpV4Packet ip = eth.get(IpV4Packet.class);
    TcpPacket tcp = ip.get(TcpPacket.class);
    int backend = (tcp.getHeader().getSrcPort().valueAsInt() ^ ip.getHeader().getSrcAddr().hashCode()) & (NatFixtures.BACKENDS - 1);
    Inet4Address rip = backendAddress[backend];
    TcpPacket.Builder tb = tcp.getBuilder().srcAddr(ip.getHeader().getSrcAddr()).dstAddr(rip)
        .correctChecksumAtBuild(true);
    IpV4Packet.Builder ib = ip.getBuilder().dstAddr(rip).payloadBuilder(tb).correctChecksumAtBuild(true);
    return eth.getBuilder().dstAddr(backendMac[backend]).payloadBuilder(ib).paddingAtBuild(true).build().getRawData();
  }

  private static Inet4Address v4(int a) throws UnknownHostException {
    return (Inet4Address) InetAddress.getByAddress(new byte[] {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a});
  }

  private static byte[] longToMac(long m) {
    byte[] b = new byte[6];
    for (int k = 0; k < 6; k++) {
      b[k] = (byte) (m >>> (40 - 8 * k));
    }
    return b;
  }
}
