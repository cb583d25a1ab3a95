package io.github.lb4j.nat.pcap;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a classic libpcap file (the format of tcpdump's {@code -w}, magic {@code 0xa1b23c4d} for
 * nanosecond timestamps, link type 1 = Ethernet), so any sequence of frames a translator produced
 * opens in Wireshark or tshark. Fields are written little-endian, as the magic announces.
 *
 * <p>Diagnostics, not the packet path: one thread; allocates a small header buffer; blocks on I/O.
 */
public final class PcapWriter implements Closeable {

  /** The nanosecond-resolution magic number. */
  public static final int MAGIC_NANOSECONDS = 0xA1B2_3C4D;
  /** The microsecond-resolution magic number. */
  public static final int MAGIC_MICROSECONDS = 0xA1B2_C3D4;
  /** LINKTYPE_ETHERNET. */
  public static final int LINKTYPE_ETHERNET = 1;
  /** The snapshot length written in the file header. */
  public static final int SNAPLEN = 262_144;

  private final OutputStream out;
  private final ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
  private final byte[] copy = new byte[SNAPLEN];

  /**
   * Starts a pcap stream by writing its file header.
   *
   * @param out where the file goes; closed by {@link #close()}
   * @throws IOException when writing fails
   */
  public PcapWriter(OutputStream out) throws IOException {
    this.out = out instanceof BufferedOutputStream ? out : new BufferedOutputStream(out);
    header.clear();
    header.putInt(MAGIC_NANOSECONDS).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0)
        .putInt(SNAPLEN).putInt(LINKTYPE_ETHERNET);
    this.out.write(header.array(), 0, 24);
  }

  /**
   * Creates (or truncates) a pcap file.
   *
   * @param path the file
   * @return the writer
   * @throws IOException when the file cannot be created
   */
  public static PcapWriter create(Path path) throws IOException {
    return new PcapWriter(Files.newOutputStream(path));
  }

  /**
   * Appends one frame.
   *
   * @param timestampNanos the capture time in nanoseconds since the epoch
   * @param buffer the buffer holding the frame
   * @param offset the frame's first byte
   * @param length the frame's length, at most {@link #SNAPLEN}
   * @throws IOException when writing fails
   * @throws IllegalArgumentException when the length exceeds {@link #SNAPLEN}
   */
  public void write(long timestampNanos, ByteBuffer buffer, int offset, int length) throws IOException {
    if (length < 0 || length > SNAPLEN) {
      throw new IllegalArgumentException("frame length must be in 0.." + SNAPLEN + ", was " + length);
    }
    header.clear();
    header.putInt((int) (timestampNanos / 1_000_000_000L)).putInt((int) (timestampNanos % 1_000_000_000L))
        .putInt(length).putInt(length);
    out.write(header.array(), 0, 16);
    for (int i = 0; i < length; i++) {
      copy[i] = buffer.get(offset + i);
    }
    out.write(copy, 0, length);
  }

  /**
   * Flushes buffered records to the underlying stream.
   *
   * @throws IOException when writing fails
   */
  public void flush() throws IOException {
    out.flush();
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
