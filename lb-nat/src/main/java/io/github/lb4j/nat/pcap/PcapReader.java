package io.github.lb4j.nat.pcap;

import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a classic libpcap file of either byte order and either timestamp resolution (the magic
 * numbers of libpcap's {@code pcap-savefile(5)}). Only Ethernet captures are accepted.
 *
 * <p>Diagnostics, not the packet path: one thread; allocates one array per record; blocks on I/O.
 * A damaged file is reported as an {@link IOException} naming the field and value.
 */
public final class PcapReader implements Closeable {

  /**
   * One captured frame.
   *
   * @param timestampNanos capture time in nanoseconds since the epoch
   * @param originalLength the frame's length on the wire
   * @param data the captured bytes
   */
  public record Record(long timestampNanos, int originalLength, byte[] data) {}

  private final DataInputStream in;
  private final ByteOrder order;
  private final boolean nanos;
  private final int snaplen;

  /**
   * Reads and checks the file header.
   *
   * @param in the stream; closed by {@link #close()}
   * @throws IOException when the header is not a pcap Ethernet header
   */
  public PcapReader(InputStream in) throws IOException {
    this.in = new DataInputStream(in);
    ByteBuffer h = ByteBuffer.wrap(this.in.readNBytes(24));
    if (h.remaining() < 24) {
      throw new IOException("pcap file header truncated: " + h.remaining() + " of 24 bytes");
    }
    int magic = h.order(ByteOrder.LITTLE_ENDIAN).getInt(0);
    ByteOrder o = ByteOrder.LITTLE_ENDIAN;
    if (magic != PcapWriter.MAGIC_NANOSECONDS && magic != PcapWriter.MAGIC_MICROSECONDS) {
      o = ByteOrder.BIG_ENDIAN;
      magic = h.order(o).getInt(0);
    }
    if (magic != PcapWriter.MAGIC_NANOSECONDS && magic != PcapWriter.MAGIC_MICROSECONDS) {
      throw new IOException("not a pcap file: magic 0x" + Integer.toHexString(magic));
    }
    this.order = o;
    this.nanos = magic == PcapWriter.MAGIC_NANOSECONDS;
    h.order(o);
    this.snaplen = h.getInt(16);
    int linkType = h.getInt(20);
    if (linkType != PcapWriter.LINKTYPE_ETHERNET) {
      throw new IOException("pcap link type must be 1 (Ethernet), was " + linkType);
    }
  }

  /**
   * Opens a pcap file.
   *
   * @param path the file
   * @return the reader
   * @throws IOException when the file cannot be read or is not a pcap Ethernet capture
   */
  public static PcapReader open(Path path) throws IOException {
    return new PcapReader(Files.newInputStream(path));
  }

  /**
   * Reads every frame of a file.
   *
   * @param path the file
   * @return the frames in file order
   * @throws IOException when the file is damaged
   */
  public static List<Record> readAll(Path path) throws IOException {
    try (PcapReader r = open(path)) {
      List<Record> all = new ArrayList<>();
      for (Record rec = r.next(); rec != null; rec = r.next()) {
        all.add(rec);
      }
      return all;
    }
  }

  /**
   * Reads the next frame.
   *
   * @return the frame, or {@code null} at the end of the file
   * @throws IOException when a record is truncated or its length exceeds the snapshot length
   */
  public @org.jspecify.annotations.Nullable Record next() throws IOException {
    byte[] rh = new byte[16];
    int n = in.readNBytes(rh, 0, 16);
    if (n == 0) {
      return null;
    }
    if (n < 16) {
      throw new IOException("pcap record header truncated: " + n + " of 16 bytes");
    }
    ByteBuffer h = ByteBuffer.wrap(rh).order(order);
    long seconds = h.getInt(0) & 0xFFFF_FFFFL;
    long fraction = h.getInt(4) & 0xFFFF_FFFFL;
    int captured = h.getInt(8);
    int original = h.getInt(12);
    if (captured < 0 || captured > Math.max(snaplen, PcapWriter.SNAPLEN)) {
      throw new IOException("pcap record incl_len must be in 0.." + snaplen + ", was " + captured);
    }
    byte[] data = new byte[captured];
    try {
      in.readFully(data);
    } catch (EOFException e) {
      throw new IOException("pcap record data truncated: expected " + captured + " bytes", e);
    }
    return new Record(seconds * 1_000_000_000L + (nanos ? fraction : fraction * 1000L), original, data);
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
