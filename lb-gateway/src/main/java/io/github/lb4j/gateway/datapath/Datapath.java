package io.github.lb4j.gateway.datapath;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.Direction;
import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.api.Frame;
import io.github.lb4j.api.HealthChecker;
import io.github.lb4j.api.HealthCheckers;
import io.github.lb4j.api.HealthState;
import io.github.lb4j.api.MacAddress;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.SchedulerConfig;
import io.github.lb4j.api.Schedulers;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.gateway.config.Endpoints;
import io.github.lb4j.health.HealthMonitor;
import io.github.lb4j.linux.NetInterface;
import io.github.lb4j.linux.PacketSocket;
import io.github.lb4j.linux.Poller;
import io.github.lb4j.nat.NatConfig;
import io.github.lb4j.nat.NatCounter;
import io.github.lb4j.nat.NatPort;
import io.github.lb4j.nat.NatTranslators;
import io.github.lb4j.nat.PacketTranslator;
import io.github.lb4j.nat.header.EthernetFlyweight;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A packet-level load balancer (seed S4, S5, S6): owns a VIP on one interface (one-arm) or two
 * (inline: clients' side and servers' side), receives every frame of its interfaces on AF_PACKET
 * sockets with memory-mapped rings (lb-linux), runs lb-nat's translator of the configured mode on
 * each, and sends what it forwards out of the interface the verdict names. The translator answers
 * ARP and neighbor solicitations for the VIP and the source-NAT addresses; this class resolves the
 * next hops (gateway, real servers) by ARP and IPv6 neighbor discovery, health-checks the real servers with lb-health's {@link
 * HealthMonitor} and publishes "healthy and resolved" servers to the scheduler.
 *
 * <p>Frames addressed to the VIP (and, inline, every frame of the clients' side) travel {@link
 * Direction#CLIENT_TO_SERVER}; the others travel {@link Direction#SERVER_TO_CLIENT}, except frames
 * for the balancer's own kernel addresses (its health checks, its management), which are left to the
 * kernel. The translator is given the ports (number, MAC, addresses, MTU) and this datapath's
 * {@link Neighbors} as its neighbour table, and makes every link-layer choice itself; this class only
 * moves frames.
 *
 * <p>A port is an interface and a VLAN (802.1Q, or untagged): frames of other VLANs are not
 * forwarded and are counted ({@code datapath.other_vlan}); a frame forwarded or answered leaves with
 * the tag of its port. Frames are received as on the wire whatever the interfaces' offloads
 * (lb-linux completes partial checksums and cuts GRO/GSO super-frames into segments); the status
 * counts what that took. Inline transparent mode (S5.1) is a bridge: what the translator does not
 * balance passes to the other side unchanged ({@code datapath.bridged}).
 *
 * <p>Threads: one worker thread runs the translator for every interface queue (veth has one queue
 * per side; the flow table has a single writer, so the queues of both sides of one flow share a
 * worker); one control thread applies health and neighbor changes to the scheduler and writes the
 * status. The packet path copies each frame once into a buffer with headroom (for IPIP) and does not
 * allocate. {@link #start} blocks while it resolves the next hops; {@link #close} waits for the
 * threads to stop and closes every socket. Counters may be read from any thread.
 */
public final class Datapath implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Datapath.class);
  private static final int HEADROOM = 128;
  private static final int BUFFER = 1 << 16;
  private static final int RX_FRAMES = 2048;
  private static final int TX_FRAMES = 1024;
  private static final int FRAME_SIZE = 2048;
  private static final int BATCH = 256;
  private static final int MIN_IPV4_FRAME = 14 + 20;
  private static final VarHandle COUNTS = MethodHandles.arrayElementVarHandle(long[].class);

  /** Datapath-level counters, besides the translator's. */
  enum Counter {
    /** Frames received on all interfaces. */
    RX_FRAMES,
    /** Frames sent. */
    TX_FRAMES,
    /** Frames the send queue had no room for. */
    TX_DROPPED,
    /** Frames a send failed for (too long, interface down). */
    TX_ERRORS,
    /** Frames for the balancer's own kernel addresses, left to the kernel. */
    HOST_FRAMES,
    /** Frames longer than the buffer. */
    OVERSIZE,
    /** Frames of a VLAN (or untagged frames, or 802.1ad service-tagged frames) that no port serves: not forwarded. */
    OTHER_VLAN,
    /** Frames an inline transparent balancer passed to the other side unchanged (it is a bridge, S5.1). */
    BRIDGED
  }

  /** One interface: its kernel identity and its socket, shared by the ports (VLANs) on it. */
  private record Link(String name, NetInterface iface, PacketSocket socket) {}

  /**
   * One port, numbered as the translator's verdicts name it: an interface and its VLAN ({@link
   * #UNTAGGED} for none), the balancer's MAC and addresses on it (with their prefixes: what is on-link).
   */
  private record Port(String name, int link, PacketSocket socket, int vlan, long mac, int ipv4, @Nullable InetAddress v4,
      @Nullable InetAddress v6, long v6Hi, long v6Lo, List<NatPort.Address> addresses) {}

  /** The VLAN of an untagged port or frame. */
  static final int UNTAGGED = -1;
  private static final int TPID_8021Q = 0x8100;
  private static final int TPID_8021AD = 0x88A8;

  private final DatapathConfig config;
  private final Link[] links;
  private final Port[] ports;
  private final boolean bridge;
  private final Neighbors neighbors;
  private final int gatewayIndex;
  private final Scheduler scheduler;
  private final PacketTranslator translator;
  private final @Nullable HealthMonitor monitor;
  private final @Nullable HealthChecker checker;
  private final Map<String, HealthState> health = new ConcurrentHashMap<>();
  private final AtomicLong healthVersion = new AtomicLong();
  private final long[] counts = new long[Counter.values().length];
  private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER);
  private final MemorySegment bufferSegment = MemorySegment.ofBuffer(buffer);
  private final Frame frame = new Frame(buffer, HEADROOM, 0);
  private final boolean vipV4;
  private final int vip4;
  private final long vipHi;
  private final long vipLo;
  private final Thread worker;
  private final Thread control;
  private volatile boolean running = true;
  private volatile @Nullable Throwable failure;
  private volatile List<Backend> published = List.of();
  /** The frame being handled, as received (for bridging it unchanged) and as copied into the buffer without its tag. */
  private MemorySegment rxMemory = MemorySegment.NULL;
  private long rxOffset;
  private int rxLength;
  private int frameAt;
  private int frameLength;
  private int framePriority;

  private Datapath(DatapathConfig config, Link[] links, Port[] ports) {
    this.config = config;
    this.links = links;
    this.ports = ports;
    this.bridge = config.mode() == ForwardingMode.TRANSPARENT && !config.oneArm();
    List<InetAddress> targets = new ArrayList<>();
    List<Integer> targetPort = new ArrayList<>();
    int serverPort = config.oneArm() ? 0 : 1;
    for (Backend b : config.backends()) {
      targets.add(b.address());
      targetPort.add(serverPort);
    }
    InetAddress gw = config.gateway();
    this.gatewayIndex = gw == null ? -1 : targets.size();
    if (gw != null) {
      targets.add(gw);
      targetPort.add(0);
    }
    PacketSocket[] sockets = new PacketSocket[ports.length];
    long[] macs = new long[ports.length];
    int[] v4 = new int[ports.length];
    InetAddress[] v6 = new InetAddress[ports.length];
    int[] vlans = new int[ports.length];
    for (int i = 0; i < ports.length; i++) {
      sockets[i] = ports[i].socket();
      macs[i] = ports[i].mac();
      v4[i] = ports[i].ipv4();
      v6[i] = ports[i].v6();
      vlans[i] = ports[i].vlan();
    }
    this.neighbors = new Neighbors(targets.toArray(InetAddress[]::new), targetPort.stream().mapToInt(Integer::intValue).toArray(),
        sockets, macs, v4, v6, vlans);
    InetAddress vip = config.vip();
    this.vipV4 = vip instanceof Inet4Address;
    byte[] raw = vip.getAddress();
    ByteBuffer rb = ByteBuffer.wrap(raw);
    this.vip4 = vipV4 ? rb.getInt(0) : 0;
    this.vipHi = vipV4 ? 0 : rb.getLong(0);
    this.vipLo = vipV4 ? 0 : rb.getLong(8);

    // Names are checked before the wait for the next hops, so a typo fails at once.
    this.scheduler = Schedulers.create(config.algorithm(), SchedulerConfig.defaults());
    this.checker = config.check().equals("none") ? null : HealthCheckers.create(config.check(), config.checkOptions());
    resolve(config.resolveTimeout(), gw);
    if (gw != null && neighbors.macOnWorker(gatewayIndex) == 0) {
      throw new IllegalStateException("--gateway " + Endpoints.host(gw) + " did not answer "
          + (gw instanceof Inet4Address ? "ARP" : "neighbor solicitation") + " on " + ports[0].name()
          + " within " + config.resolveTimeout().toMillis() + " ms");
    }

    this.translator = NatTranslators.create(natConfig(config, ports, scheduler, neighbors,
        gw == null ? 0 : neighbors.macOnWorker(gatewayIndex)));
    if (checker == null) {
      this.monitor = null;
      config.backends().forEach(b -> health.put(b.id(), HealthState.UP));
    } else {
      HealthMonitor m = HealthMonitor.builder(checker)
          .interval(config.checkInterval())
          .timeout(config.checkInterval().compareTo(Duration.ofSeconds(1)) < 0 ? config.checkInterval() : Duration.ofSeconds(1))
          .rise(config.rise())
          .fall(config.fall())
          .listener((backend, from, to, cause) -> {
            health.put(backend.id(), to);
            healthVersion.incrementAndGet();
            LOG.info("{} {} -> {} ({})", backend.id(), from, to, cause);
          })
          .build();
      config.backends().forEach(b -> health.put(b.id(), HealthState.UNKNOWN));
      config.backends().forEach(m::add);
      this.monitor = m;
    }
    publish();
    this.worker = new Thread(this::work, "lb-datapath-worker");
    this.control = new Thread(this::controlLoop, "lb-datapath-control");
  }

  /**
   * Opens the interfaces, resolves the next hops, builds the translator and starts the threads.
   *
   * @param config what to run
   * @return the running datapath
   * @throws IllegalArgumentException when an interface does not exist or an option does not fit it
   * @throws IllegalStateException when the gateway does not answer ARP in time
   * @throws StartCancelledException when the calling thread is interrupted while it waits for the
   *     next hops (a stop requested during the start); everything opened is closed
   * @throws io.github.lb4j.linux.MissingCapabilityException without {@code CAP_NET_RAW}
   */
  public static Datapath start(DatapathConfig config) {
    List<Link> links = new ArrayList<>();
    try {
      // A bridge forwards frames for other MACs; a trunk's NIC may filter VLANs the kernel has no device for.
      boolean promiscuous = (config.mode() == ForwardingMode.TRANSPARENT && !config.oneArm())
          || config.clientVlan() != UNTAGGED || config.serverVlan() != UNTAGGED;
      List<Port> ports = new ArrayList<>();
      ports.add(port(config.clientInterface(), config.clientVlan(), links, promiscuous));
      String server = config.serverInterface();
      if (server != null) {
        ports.add(port(server, config.serverVlan(), links, promiscuous));
      }
      Datapath d = new Datapath(config, links.toArray(Link[]::new), ports.toArray(Port[]::new));
      d.worker.start();
      d.control.start();
      return d;
    } catch (RuntimeException e) {
      links.forEach(l -> l.socket().close());
      throw e;
    }
  }

  /** Opens the interface's socket unless a port of another VLAN already did, and describes the port. */
  private static Port port(String name, int vlan, List<Link> links, boolean promiscuous) {
    int link = -1;
    for (int i = 0; i < links.size(); i++) {
      if (links.get(i).name().equals(name)) {
        link = i;
      }
    }
    if (link < 0) {
      NetInterface iface;
      try {
        iface = NetInterface.byName(name);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("interface " + name + " not found: " + e.getMessage(), e);
      }
      PacketSocket s = PacketSocket.open(iface, PacketSocket.Options.defaults().rxRing(RX_FRAMES, FRAME_SIZE).txRing(TX_FRAMES)
          .promiscuous(promiscuous));
      links.add(new Link(name, iface, s));
      link = links.size() - 1;
    }
    Link l = links.get(link);
    // On a VLAN, the balancer's addresses are those of the kernel's VLAN interface (eth0.10) where
    // there is one, else those of the interface itself.
    InetAddress v4 = null;
    InetAddress v6 = null;
    List<NatPort.Address> addresses = new ArrayList<>();
    for (String candidate : vlan == UNTAGGED ? List.of(name) : List.of(name + "." + vlan, name)) {
      try {
        NetworkInterface ni = NetworkInterface.getByName(candidate);
        if (ni == null) {
          continue;
        }
        for (InterfaceAddress ia : ni.getInterfaceAddresses()) {
          InetAddress a = ia.getAddress();
          if (a instanceof Inet4Address && v4 == null) {
            v4 = a;
          } else if (a instanceof Inet6Address && !a.isLinkLocalAddress() && v6 == null) {
            v6 = a;
          }
          if (!a.isLinkLocalAddress()) {
            addresses.add(new NatPort.Address(a, ia.getNetworkPrefixLength()));
          }
        }
        break;
      } catch (SocketException e) {
        throw new UncheckedIOException("cannot list the addresses of " + candidate, e);
      }
    }
    int ipv4 = v4 == null ? 0 : ByteBuffer.wrap(v4.getAddress()).getInt();
    ByteBuffer six = ByteBuffer.wrap(v6 == null ? new byte[16] : v6.getAddress());
    String label = vlan == UNTAGGED ? name : name + " VLAN " + vlan;
    return new Port(label, link, l.socket(), vlan, l.iface().macAddress().toLong(), ipv4, v4, v6, six.getLong(0), six.getLong(8),
        addresses);
  }

  private static NatConfig natConfig(DatapathConfig c, Port[] ports, Scheduler scheduler, Neighbors neighbors,
      long gatewayMac) {
    NatConfig.Builder b = NatConfig.builder(c.mode(), scheduler);
    int proto = c.vipPort() == 0 ? 0 : 6;
    b.vip(new NatConfig.Vip(c.vip(), proto, c.vipPort(), c.mode() == ForwardingMode.DSR_DSCP ? c.dscp() : -1));
    Port own = c.mode() == ForwardingMode.DSR_IPIP ? ports[ports.length - 1] : ports[0];
    b.balancer(MacAddress.ofLong(ports[0].mac()), own.v4(), own.v6());
    if (gatewayMac != 0) {
      b.clientGateway(MacAddress.ofLong(gatewayMac));
    }
    InetAddress gateway = c.gateway();
    if (gateway != null) {
      b.clientGateway(gateway);
    }
    c.snat().forEach(b::snatAddress);
    b.hairpinSnat(c.hairpinSnat());
    for (String s : c.serverSubnets()) {
      Cidr cidr = Cidr.parse("--server-subnet", s);
      b.serverSubnet(cidr.prefix(), cidr.length());
    }
    NatPort[] sides = new NatPort[ports.length];
    for (int i = 0; i < ports.length; i++) {
      sides[i] = new NatPort(i, MacAddress.ofLong(ports[i].mac()), ports[i].addresses(),
          Math.max(576, ports[i].socket().netInterface().mtu()));
    }
    b.ports(sides[0], sides[ports.length - 1]);
    b.neighbors(neighbors);
    return b.build();
  }

  /**
   * Sends ARP requests and neighbor solicitations and reads answers on this thread until every next
   * hop answered or time is up. An interrupt (a stop requested meanwhile) ends the wait with {@link
   * StartCancelledException}.
   */
  private void resolve(Duration timeout, @Nullable InetAddress gateway) {
    long deadline = System.nanoTime() + timeout.toNanos();
    ByteBuffer b = buffer;
    io.github.lb4j.linux.FrameHandler[] learn = new io.github.lb4j.linux.FrameHandler[links.length];
    for (int i = 0; i < links.length; i++) {
      int link = i;
      learn[i] = (memory, offset, length) -> {
        int port = admit(link, memory, offset, length);
        if (port < 0 || frameLength < EthernetFlyweight.HEADER_LENGTH) {
          return;
        }
        int type = b.getShort(frameAt + 12) & 0xFFFF;
        if (type == EthernetFlyweight.ETHER_TYPE_ARP) {
          neighbors.onArp(port, b, frameAt, frameLength);
        } else if (type == EthernetFlyweight.ETHER_TYPE_IPV6 && frameLength >= 14 + 40 + 4 && (b.get(frameAt + 14 + 6) & 0xFF) == 58) {
          neighbors.onIcmpv6(port, b, frameAt, frameLength);
        }
      };
    }
    while (System.nanoTime() < deadline && !neighbors.allResolved()) {
      if (Thread.interrupted()) {
        closeSockets();
        throw new StartCancelledException(gateway == null || neighbors.macOnWorker(gatewayIndex) != 0
            ? "stopped while resolving the servers' MAC addresses"
            : "stopped while waiting for --gateway " + Endpoints.host(gateway) + " to answer "
                + (gateway instanceof Inet4Address ? "ARP" : "neighbor solicitation") + " on " + ports[0].name());
      }
      neighbors.sendDue(System.nanoTime());
      for (int i = 0; i < links.length; i++) {
        if (links[i].socket().poll(20)) {
          links[i].socket().receive(learn[i], BATCH);
        }
      }
    }
  }

  private void closeSockets() {
    for (Link l : links) {
      l.socket().close();
    }
  }

  /**
   * Copies a received frame into the buffer without its 802.1Q tag and finds its port: sets {@link
   * #frameAt}, {@link #frameLength} and {@link #framePriority}.
   *
   * @return the port, or -1 when no port serves its VLAN (counted) or it is too long
   */
  private int admit(int link, MemorySegment memory, long offset, int length) {
    if (length > BUFFER - 2 * HEADROOM) {
      bump(Counter.OVERSIZE);
      return -1;
    }
    MemorySegment.copy(memory, offset, bufferSegment, HEADROOM, length);
    int at = HEADROOM;
    int vlan = UNTAGGED;
    int priority = 0;
    int tpid = length >= EthernetFlyweight.HEADER_LENGTH ? buffer.getShort(at + 12) & 0xFFFF : 0;
    if (tpid == TPID_8021AD) {
      // service-tagged (QinQ) frames belong to no port
      bump(Counter.OTHER_VLAN);
      return -1;
    }
    if (length >= EthernetFlyweight.HEADER_LENGTH + 4 && tpid == TPID_8021Q) {
      int tci = buffer.getShort(at + 14) & 0xFFFF;
      vlan = tci & 0x0FFF;
      priority = tci & 0xF000;
      MemorySegment.copy(bufferSegment, at, bufferSegment, at + 4, 12);
      at += 4;
      length -= 4;
      if (vlan == 0) {
        // A priority-tagged frame belongs to the untagged port (IEEE 802.1Q section 9.6).
        vlan = UNTAGGED;
      }
    }
    for (int p = 0; p < ports.length; p++) {
      if (ports[p].link() == link && ports[p].vlan() == vlan) {
        frameAt = at;
        frameLength = length;
        framePriority = priority;
        return p;
      }
    }
    bump(Counter.OTHER_VLAN);
    return -1;
  }

  // ---------------------------------------------------------------- worker

  private void work() {
    try (Poller poller = Poller.open(links.length)) {
      for (Link l : links) {
        poller.add(l.socket().fd(), Poller.IN);
      }
      io.github.lb4j.linux.FrameHandler[] handlers = new io.github.lb4j.linux.FrameHandler[links.length];
      for (int i = 0; i < links.length; i++) {
        int link = i;
        handlers[i] = (memory, offset, length) -> onFrame(link, memory, offset, length);
      }
      while (running) {
        neighbors.sendDue(System.nanoTime());
        poller.poll(50);
        // timeouts and session counts follow the clock even when few frames arrive
        translator.flowTable().refreshClock();
        boolean more = true;
        while (more && running) {
          more = false;
          for (int i = 0; i < links.length; i++) {
            if (links[i].socket().receive(handlers[i], BATCH) == BATCH) {
              more = true;
            }
          }
          for (Link l : links) {
            flush(l);
          }
        }
      }
    } catch (Throwable t) {
      failure = t;
      running = false;
      LOG.error("datapath worker stopped: {}", t.toString());
    }
  }

  private void flush(Link l) {
    try {
      if (l.socket().flush() < 0) {
        bump(Counter.TX_DROPPED);
      }
    } catch (RuntimeException e) {
      bump(Counter.TX_ERRORS);
    }
  }

  private void onFrame(int link, MemorySegment memory, long offset, int length) {
    bump(Counter.RX_FRAMES);
    int port = admit(link, memory, offset, length);
    if (port < 0) {
      return;
    }
    rxMemory = memory;
    rxOffset = offset;
    rxLength = length;
    int at = frameAt;
    int len = frameLength;
    if (len < EthernetFlyweight.HEADER_LENGTH) {
      translateAndSend(port, Direction.CLIENT_TO_SERVER);
      return;
    }
    ByteBuffer b = buffer;
    int etherType = b.getShort(at + EthernetFlyweight.ETHER_TYPE_OFFSET) & 0xFFFF;
    Direction d;
    if (etherType == EthernetFlyweight.ETHER_TYPE_ARP) {
      neighbors.onArp(port, b, at, len);
      d = Direction.CLIENT_TO_SERVER;
    } else if (etherType == EthernetFlyweight.ETHER_TYPE_IPV4 && len >= MIN_IPV4_FRAME) {
      int dst = b.getInt(at + 14 + 16);
      if (vipV4 && dst == vip4) {
        d = Direction.CLIENT_TO_SERVER;
      } else if (isHostV4(dst)) {
        bump(Counter.HOST_FRAMES);
        return;
      } else {
        d = port == 0 && ports.length > 1 ? Direction.CLIENT_TO_SERVER : Direction.SERVER_TO_CLIENT;
      }
    } else if (etherType == EthernetFlyweight.ETHER_TYPE_IPV6 && len >= 14 + 40) {
      long hi = b.getLong(at + 14 + 24);
      long lo = b.getLong(at + 14 + 32);
      int next = b.get(at + 14 + 6) & 0xFF;
      int icmpType = next == 58 && len >= 14 + 40 + 4 ? b.get(at + 14 + 40) & 0xFF : -1;
      if (icmpType == 136) {
        neighbors.onIcmpv6(port, b, at, len);
      }
      if ((!vipV4 && hi == vipHi && lo == vipLo) || (icmpType >= 133 && icmpType <= 137)) {
        d = Direction.CLIENT_TO_SERVER;
      } else if (isHostV6(hi, lo)) {
        bump(Counter.HOST_FRAMES);
        return;
      } else {
        d = port == 0 && ports.length > 1 ? Direction.CLIENT_TO_SERVER : Direction.SERVER_TO_CLIENT;
      }
    } else {
      d = port == 0 && ports.length > 1 ? Direction.CLIENT_TO_SERVER : Direction.SERVER_TO_CLIENT;
    }
    translateAndSend(port, d);
  }

  private boolean isHostV4(int address) {
    for (Port p : ports) {
      if (p.ipv4() == address && address != 0) {
        return true;
      }
    }
    return false;
  }

  private boolean isHostV6(long hi, long lo) {
    for (Port p : ports) {
      if (p.v6Hi() == hi && p.v6Lo() == lo && (hi | lo) != 0) {
        return true;
      }
    }
    return false;
  }

  private void translateAndSend(int port, Direction d) {
    Frame f = frame.set(buffer, frameAt, frameLength).ingressPort(port);
    int v = translator.translate(f, d);
    int action = Verdict.action(v);
    if (action == Verdict.DROP && bridge && bridges(Verdict.reason(v))) {
      bridge(port);
      return;
    }
    if (action == Verdict.FORWARD) {
      int out = Verdict.port(v);
      if (out < ports.length) {
        send(ports[out], f);
      }
    } else if (action == Verdict.REPLY) {
      send(ports[port], f);
    }
  }

  private boolean isOwnMac(long mac) {
    for (Port p : ports) {
      if (p.mac() == mac) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether an inline transparent balancer passes a frame the translator dropped for this reason to
   * the other side: frames for no VIP, replies of no tracked flow, ARP and neighbor discovery about
   * other hosts, other EtherTypes, ICMP errors about other traffic. Malformed frames are not bridged.
   */
  private static boolean bridges(@Nullable DropReason reason) {
    return reason == DropReason.NOT_FOR_VIP || reason == DropReason.NO_FLOW || reason == DropReason.POLICY
        || reason == DropReason.UNSUPPORTED || reason == DropReason.ICMP_UNMATCHED || reason == DropReason.FRAGMENT_UNMATCHED;
  }

  /**
   * Sends the frame being handled, as it was received, out of the other port (inline transparent:
   * the balancer is a bridge for what it does not balance), unless it is addressed to the balancer
   * itself or to the VIP, or is a frame bridges never forward (01:80:C2:00:00:0X, IEEE 802.1D 7.12.6).
   */
  private void bridge(int port) {
    int out = ports.length - 1 - port;
    int ingress = admit(ports[port].link(), rxMemory, rxOffset, rxLength);
    if (ingress != port || out == port) {
      return;
    }
    ByteBuffer b = buffer;
    long dst = EthernetFlyweight.destination(b, frameAt);
    if (isOwnMac(dst) || (dst & 0xFFFF_FFFF_FFF0L) == 0x0180_C200_0000L || isForVip(b, frameAt, frameLength)) {
      return;
    }
    bump(Counter.BRIDGED);
    send(ports[out], frame.set(b, frameAt, frameLength));
  }

  private boolean isForVip(ByteBuffer b, int at, int length) {
    int type = b.getShort(at + EthernetFlyweight.ETHER_TYPE_OFFSET) & 0xFFFF;
    if (type == EthernetFlyweight.ETHER_TYPE_IPV4 && length >= MIN_IPV4_FRAME) {
      return vipV4 && b.getInt(at + 14 + 16) == vip4;
    }
    return type == EthernetFlyweight.ETHER_TYPE_IPV6 && length >= 14 + 40 && !vipV4
        && b.getLong(at + 14 + 24) == vipHi && b.getLong(at + 14 + 32) == vipLo;
  }

  /**
   * Sends a frame out of a port, with the port's 802.1Q tag put in after the source MAC when it has
   * a VLAN (keeping the priority of the frame's own tag, if it came with one).
   */
  private void send(Port p, Frame f) {
    int off = f.offset();
    int length = f.length();
    if (p.vlan() != UNTAGGED) {
      MemorySegment.copy(bufferSegment, off, bufferSegment, off - 4, 12);
      buffer.putShort(off + 8, (short) TPID_8021Q);
      buffer.putShort(off + 10, (short) (framePriority | p.vlan()));
      off -= 4;
      length += 4;
    }
    try {
      if (p.socket().send(bufferSegment, off, length) < 0) {
        bump(Counter.TX_DROPPED);
      } else {
        bump(Counter.TX_FRAMES);
      }
    } catch (RuntimeException e) {
      bump(Counter.TX_ERRORS);
    }
  }

  private void bump(Counter c) {
    int i = c.ordinal();
    COUNTS.setOpaque(counts, i, counts[i] + 1);
  }

  // ---------------------------------------------------------------- control

  private void controlLoop() {
    long seenNeighbors = -1;
    long seenHealth = -1;
    long nextStatus = 0;
    while (running) {
      long nv = neighbors.version();
      long hv = healthVersion.get();
      if (nv != seenNeighbors || hv != seenHealth) {
        seenNeighbors = nv;
        seenHealth = hv;
        publish();
      }
      long now = System.nanoTime();
      Path file = config.statusFile();
      if (file != null && now - nextStatus >= 0) {
        nextStatus = now + TimeUnit.MILLISECONDS.toNanos(500);
        writeStatus(file);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private final Map<String, Backend> withMac = new LinkedHashMap<>();

  /** Rebuilds the scheduler's eligible set: healthy servers whose MAC is known. Control thread only. */
  private synchronized void publish() {
    List<Backend> eligible = new ArrayList<>();
    List<Backend> ineligible = new ArrayList<>();
    for (Backend b : config.backends()) {
      MacAddress mac = neighbors.mac(b.address());
      Backend cached = withMac.get(b.id());
      if (cached == null || !java.util.Objects.equals(cached.mac(), mac)) {
        cached = b.withMac(mac);
        withMac.put(b.id(), cached);
      }
      if (mac != null && health.get(b.id()) == HealthState.UP) {
        eligible.add(cached);
      } else {
        ineligible.add(cached);
      }
    }
    scheduler.update(eligible, ineligible);
    published = List.copyOf(eligible);
  }

  private void writeStatus(Path file) {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      Files.writeString(tmp, status(), StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      LOG.warn("cannot write the status file {}: {}", file, e.toString());
    }
  }

  // ---------------------------------------------------------------- reading

  /**
   * Returns a datapath counter.
   *
   * @param c the counter
   * @return its value
   */
  long count(Counter c) {
    return (long) COUNTS.getOpaque(counts, c.ordinal());
  }

  /**
   * Returns what the sockets did to receive frames as on the wire (checksums completed, super-frames
   * segmented, VLAN tags restored) or could not do, summed over the interfaces. Any thread.
   *
   * @param c the counter
   * @return its value
   */
  public long count(PacketSocket.Counter c) {
    long sum = 0;
    for (Link l : links) {
      sum += l.socket().count(c);
    }
    return sum;
  }

  /**
   * Returns a translator event counter (forwarded requests and replies, ARP replies, the seed's
   * pitfalls S6.1 and S6.2, ...).
   *
   * @param counter the counter
   * @return its value
   */
  public long count(NatCounter counter) {
    return translator.count(counter);
  }

  /**
   * Returns how many frames the translator dropped for a reason.
   *
   * @param reason the reason
   * @return the count
   */
  public long drops(DropReason reason) {
    return translator.drops(reason);
  }

  /**
   * Returns the servers currently eligible for new flows (healthy, MAC resolved).
   *
   * @return the servers, an immutable list
   */
  public List<Backend> eligible() {
    return published;
  }

  /**
   * Returns whether the worker is running; false after {@link #close} or when it failed.
   *
   * @return whether the worker is running
   */
  public boolean running() {
    return running;
  }

  /**
   * Returns the error that stopped the worker, if any.
   *
   * @return the error, or null
   */
  public @Nullable Throwable failure() {
    return failure;
  }

  /**
   * Formats the status: mode, servers with health and MAC, every non-zero counter, one {@code key
   * value} per line (the status file's format). Allocates; any thread.
   *
   * @return the status text
   */
  public String status() {
    StringBuilder sb = new StringBuilder();
    sb.append("mode ").append(config.mode().modeName()).append('\n');
    sb.append("running ").append(running).append('\n');
    sb.append("vip ").append(Endpoints.format(config.vip(), config.vipPort())).append('\n');
    sb.append("eligible ").append(published.size()).append('\n');
    for (Backend b : config.backends()) {
      MacAddress mac = neighbors.mac(b.address());
      sb.append("backend ").append(b.id()).append(' ').append(Endpoints.format(b.address(), b.port()))
          .append(' ').append(health.getOrDefault(b.id(), HealthState.UNKNOWN)).append(' ')
          .append(mac == null ? "unresolved" : mac.toString()).append('\n');
    }
    for (Counter c : Counter.values()) {
      sb.append("datapath.").append(c.name().toLowerCase(java.util.Locale.ROOT)).append(' ').append(count(c)).append('\n');
    }
    for (PacketSocket.Counter c : PacketSocket.Counter.values()) {
      sb.append("datapath.").append(c.name().toLowerCase(java.util.Locale.ROOT)).append(' ').append(count(c)).append('\n');
    }
    for (NatCounter c : NatCounter.values()) {
      sb.append("counter.").append(c.name().toLowerCase(java.util.Locale.ROOT)).append(' ').append(count(c)).append('\n');
    }
    for (DropReason r : DropReason.values()) {
      sb.append("drop.").append(r.name().toLowerCase(java.util.Locale.ROOT)).append(' ').append(drops(r)).append('\n');
    }
    return sb.toString();
  }

  /**
   * Formats the non-zero counters on one line, for periodic logs. Allocates; any thread.
   *
   * @return for example {@code "forwarded_requests=1200 forwarded_replies=1180 drop.no_flow=3"}
   */
  public String summary() {
    StringBuilder sb = new StringBuilder("eligible=").append(published.size());
    for (Counter c : Counter.values()) {
      append(sb, c.name(), count(c));
    }
    for (PacketSocket.Counter c : PacketSocket.Counter.values()) {
      append(sb, c.name(), count(c));
    }
    for (NatCounter c : NatCounter.values()) {
      append(sb, c.name(), count(c));
    }
    for (DropReason r : DropReason.values()) {
      append(sb, "drop." + r.name(), drops(r));
    }
    return sb.toString();
  }

  private static void append(StringBuilder sb, String name, long value) {
    if (value != 0) {
      sb.append(' ').append(name.toLowerCase(java.util.Locale.ROOT)).append('=').append(value);
    }
  }

  /**
   * Prints the status to a writer.
   *
   * @param out where to print
   */
  public void printStatus(PrintWriter out) {
    out.print(status());
    out.flush();
  }

  /** Stops the threads, the health checks and closes every socket. Idempotent; blocks until stopped. */
  @Override
  public void close() {
    running = false;
    try {
      worker.join(TimeUnit.SECONDS.toMillis(5));
      control.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    HealthMonitor m = monitor;
    if (m != null) {
      m.close();
    }
    HealthChecker c = checker;
    if (c != null) {
      c.close();
    }
    Path file = config.statusFile();
    if (file != null) {
      writeStatus(file);
    }
    if (!worker.isAlive()) {
      closeSockets();
    }
  }
}
