package io.github.lb4j.gateway.datapath;

import io.github.lb4j.announce.AnnouncerStatus;
import io.github.lb4j.announce.Announcers;
import io.github.lb4j.announce.BgpConfig;
import io.github.lb4j.announce.VipAnnouncer;
import io.github.lb4j.api.Backend;
import io.github.lb4j.api.Direction;
import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.ForwardingMode;
import io.github.lb4j.api.Frame;
import io.github.lb4j.api.HealthCheckers;
import io.github.lb4j.api.HealthState;
import io.github.lb4j.api.MacAddress;
import io.github.lb4j.api.Scheduler;
import io.github.lb4j.api.Verdict;
import io.github.lb4j.gateway.config.Endpoints;
import io.github.lb4j.linux.NetInterface;
import io.github.lb4j.pool.AdminState;
import io.github.lb4j.pool.BackendPool;
import io.github.lb4j.pool.BackendState;
import io.github.lb4j.pool.Transition;
import io.github.lb4j.linux.PacketSocket;
import io.github.lb4j.linux.ReceivedFrame;
import io.github.lb4j.nat.NatConfig;
import io.github.lb4j.nat.NatCounter;
import io.github.lb4j.nat.NatPort;
import io.github.lb4j.nat.NatTranslators;
import io.github.lb4j.nat.PacketTranslator;
import io.github.lb4j.nat.SecondChanceScheduler;
import io.github.lb4j.nat.flow.FlowTable;
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
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A packet-level load balancer (seed S4, S5, S6): owns a VIP on one interface (one-arm) or two
 * (inline: clients' side and servers' side), receives every frame of its interfaces on AF_PACKET
 * sockets with memory-mapped rings (lb-linux), runs lb-nat's translator of the configured mode on
 * each, and sends what it forwards out of the interface the verdict names. The translator answers
 * ARP and neighbor solicitations for the VIP and the source-NAT addresses; this class resolves the
 * next hops (gateway, real servers) by ARP and IPv6 neighbor discovery. Which servers take new
 * flows is lb-pool's {@link BackendPool}'s to decide: its health checks, the datapath's report of a
 * server whose MAC is not known yet, and an operator's drain and weights ({@link #pool()}) reach the
 * translators' scheduler as the pool's snapshots.
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
 * <p><b>Scaling out</b>: with {@link DatapathConfig#bgp()} the datapath announces its VIP by BGP
 * ({@link VipAnnouncer}) while it {@link #canServe() can serve} (every worker running, at least one
 * server taking new flows in the pool, every server's first health verdict in) and withdraws it
 * otherwise; the pool's every change and a worker's end re-evaluate it. {@link #drainAndClose()}
 * withdraws first, keeps every worker forwarding until the routers have moved the VIP's traffic
 * away, then stops. Balancers with the same scheduler seed, options and servers choose the same
 * server for a flow (every worker of one balancer selects through the same scheduler), and in the
 * DSR modes forward a flow's packets without state by that choice, so a flow survives moving from
 * one balancer to another, or from one worker to another.
 *
 * <p>Threads: one thread per worker ({@link DatapathConfig#workers()}), each with its own sockets
 * (a fanout group per interface steers both directions of a flow to one worker), translator and flow
 * table; one control thread, the pool's control context, which also writes the status file; the
 * pool's health-check timer. The packet path translates frames in place in the RX ring and does not
 * allocate. {@link #start} blocks while it resolves the next hops; {@link #close} waits for the
 * threads to stop and closes every socket. Counters may be read from any thread.
 */
public final class Datapath implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Datapath.class);
  private static final int RX_FRAMES = 2048;
  private static final int FRAME_SIZE = 2048;

  /** Datapath-level counters, besides the translator's, summed over the workers. */
  enum Counter {
    /** Frames received on all interfaces. */
    RX_FRAMES,
    /** Frames sent (forwarded, answered, bridged, and the neighbour requests), handed to the kernel. */
    TX_FRAMES,
    /** Frames a send that could not wait found no room for (socket buffer or device queue full). */
    TX_DROPPED,
    /** Frames a send failed for (too long, interface down). */
    TX_ERRORS,
    /** Frames for the balancer's own kernel addresses, left to the kernel. */
    HOST_FRAMES,
    /** Frames of a VLAN (or untagged frames, or 802.1ad service-tagged frames) that no port serves: not forwarded. */
    OTHER_VLAN,
    /** Frames an inline transparent balancer passed to the other side unchanged (it is a bridge, S5.1). */
    BRIDGED,
    /** Frames addressed to the VIP (what a graceful stop waits to see end). */
    VIP_FRAMES
  }

  /**
   * What a graceful stop did.
   *
   * @param withdrawn whether the speaker confirmed the withdrawal (true without BGP)
   * @param drained whether the VIP's traffic stopped before the drain timeout
   * @param drainMillis how long the drain lasted, from the withdrawal to the stop
   * @param framesDuringDrain frames that reached the VIP during the drain (forwarded as usual)
   */
  public record Drain(boolean withdrawn, boolean drained, long drainMillis, long framesDuringDrain) {}

  /** One interface: its kernel identity and, per worker, its socket, shared by the ports (VLANs) on it. */
  private record Link(String name, NetInterface iface, PacketSocket[] sockets) {}

  /**
   * One port, numbered as the translator's verdicts name it: an interface ({@code link}) and its VLAN
   * ({@link #UNTAGGED} for none), the balancer's MAC and addresses on it (with their prefixes: what is
   * on-link).
   */
  record Port(String name, int link, int vlan, long mac, int ipv4, @Nullable InetAddress v4,
      @Nullable InetAddress v6, long v6Hi, long v6Lo, List<NatPort.Address> addresses) {}

  /** The VLAN of an untagged port or frame. */
  static final int UNTAGGED = -1;

  private final DatapathConfig config;
  private final Link[] links;
  private final Port[] ports;
  private final Neighbors neighbors;
  private final int gatewayIndex;
  private final Worker[] workers;
  private final Thread[] workerThreads;
  private final BackendPool pool;
  /** What every worker's translator selects through: the pool's scheduler, or its second-chance instance. */
  private final Scheduler scheduler;
  /** The pool's control context, the status file's writer and the announcement's. */
  private final ScheduledExecutorService control;
  private volatile boolean running = true;
  private volatile @Nullable VipAnnouncer announcer;
  /** Set by a graceful stop: the VIP stays withdrawn whatever the pool does meanwhile. */
  private volatile boolean withdrawing;

  private Datapath(DatapathConfig config, Link[] links, Port[] ports) {
    this.config = config;
    this.links = links;
    this.ports = ports;
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
    // worker 0 sends the neighbour requests, through its sockets
    PacketSocket[] sockets = new PacketSocket[ports.length];
    long[] macs = new long[ports.length];
    int[] v4 = new int[ports.length];
    InetAddress[] v6 = new InetAddress[ports.length];
    int[] vlans = new int[ports.length];
    for (int i = 0; i < ports.length; i++) {
      sockets[i] = links[ports[i].link()].sockets()[0];
      macs[i] = ports[i].mac();
      v4[i] = ports[i].ipv4();
      v6[i] = ports[i].v6();
      vlans[i] = ports[i].vlan();
    }
    this.neighbors = new Neighbors(targets.toArray(InetAddress[]::new), targetPort.stream().mapToInt(Integer::intValue).toArray(),
        sockets, macs, v4, v6, vlans);

    // Names are checked before the wait for the next hops, so a typo fails at once.
    this.control = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "lb-datapath-control");
      t.setDaemon(true);
      return t;
    });
    SecondChanceScheduler[] secondChance = new SecondChanceScheduler[1];
    try {
      this.pool = pool(config, control, secondChance, this::updateAnnouncement);
    } catch (RuntimeException e) {
      control.shutdownNow();
      throw e;
    }
    SecondChanceScheduler sc = secondChance[0];
    // the second chance needs the instance itself (its previous owners); the hashing algorithms it
    // serves are one instance shared by every thread, so every worker selects alike either way
    this.scheduler = sc != null ? sc : pool.scheduler();
    // A server whose MAC is not known yet takes no new flows: the datapath reports it down until
    // the first answer (ARP, neighbor advertisement) comes, on whatever thread learns it.
    String[] ids = config.backends().stream().map(Backend::id).toArray(String[]::new);
    // the static membership is applied on the control thread: wait for it before naming its members
    pool.flush().join();
    for (String id : ids) {
      pool.reportHealth(id, HealthState.DOWN, "next hop not resolved");
    }
    neighbors.onResolved(i -> {
      if (i < ids.length) {
        pool.reportHealth(ids[i], HealthState.UP, "next hop resolved");
      }
    });
    try {
      resolve(config.resolveTimeout(), gw);
    } catch (RuntimeException e) {
      closePool();
      throw e;
    }
    if (gw != null && neighbors.macOnWorker(gatewayIndex) == 0) {
      closePool();
      throw new IllegalStateException("--gateway " + Endpoints.host(gw) + " did not answer "
          + (gw instanceof Inet4Address ? "ARP" : "neighbor solicitation") + " on " + ports[0].name()
          + " within " + config.resolveTimeout().toMillis() + " ms");
    }

    int n = config.workers();
    boolean bridge = config.mode() == ForwardingMode.TRANSPARENT && !config.oneArm();
    this.workers = new Worker[n];
    this.workerThreads = new Thread[n];
    for (int w = 0; w < n; w++) {
      PacketSocket[] own = new PacketSocket[links.length];
      for (int l = 0; l < links.length; l++) {
        own[l] = links[l].sockets()[w];
      }
      PacketTranslator translator = NatTranslators.create(natConfig(config, ports, links, scheduler, neighbors,
          gw == null ? 0 : neighbors.macOnWorker(gatewayIndex), w, n));
      workers[w] = new Worker(w, ports, own, translator, neighbors, bridge, config.vip().getAddress());
      Worker worker = workers[w];
      workerThreads[w] = new Thread(() -> {
        try {
          worker.run();
        } finally {
          // a worker that failed takes the balancer out of its ECMP group
          onWorkerExit();
        }
      }, n == 1 ? "lb-datapath-worker" : "lb-datapath-worker-" + w);
    }
    // every report above is applied before the first frame is translated
    pool.flush().join();
  }

  /**
   * The pool that decides which servers take new flows: the configured servers, health-checked
   * (a server takes new flows once {@code rise} checks passed, as before) and reported down by the
   * datapath until their MAC is known. Its scheduler has the configured seed and options; with the
   * second chance, it is built as a {@link SecondChanceScheduler} (handed back in {@code
   * secondChance}), which the pool publishes to like any other.
   */
  private static BackendPool pool(DatapathConfig config, ScheduledExecutorService control,
      @Nullable SecondChanceScheduler[] secondChance, Runnable onChange) {
    BackendPool.Builder b = BackendPool.builder()
        .backends(config.backends())
        .seed(config.seed())
        .controlExecutor(control)
        .healthyUntilChecked(false)
        .listener(Datapath::log)
        .listener(t -> onChange.run());
    config.algorithmOptions().forEach(b::schedulerOption);
    if (config.secondChance()) {
      // one instance: the datapath's pool is not striped (its workers select through one scheduler)
      b.stripes(1).scheduler(config.algorithm(), (name, c) -> {
        SecondChanceScheduler s = SecondChanceScheduler.create(name, c);
        if (secondChance[0] == null) {
          secondChance[0] = s;
        }
        return s;
      });
    } else {
      b.scheduler(config.algorithm());
    }
    if (!config.check().equals("none")) {
      Duration interval = config.checkInterval();
      b.healthCheck(HealthCheckers.create(config.check(), config.checkOptions()), m -> m
          .interval(interval)
          .timeout(interval.compareTo(Duration.ofSeconds(1)) < 0 ? interval : Duration.ofSeconds(1))
          .rise(config.rise())
          .fall(config.fall()));
    }
    return b.build();
  }

  private static void log(Transition t) {
    BackendState before = t.before();
    BackendState after = t.after();
    if (before != null && after != null && before.serving() != after.serving()) {
      LOG.info("{} {} ({}: {})", t.backendId(), after.serving() ? "takes new flows" : "takes no new flows", t.cause(), t.detail());
    } else {
      LOG.debug("{} {} ({})", t.backendId(), t.cause(), t.detail());
    }
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
      ports.add(port(config, config.clientInterface(), config.clientVlan(), links, promiscuous));
      String server = config.serverInterface();
      if (server != null) {
        ports.add(port(config, server, config.serverVlan(), links, promiscuous));
      }
      Datapath d = new Datapath(config, links.toArray(Link[]::new), ports.toArray(Port[]::new));
      for (Thread t : d.workerThreads) {
        t.start();
      }
      BgpConfig bgp = config.bgp();
      if (bgp != null) {
        try {
          // started from the caller's thread's network namespace, so the speaker runs in it too
          d.announcer = Announcers.bgp(bgp);
        } catch (RuntimeException e) {
          d.close();
          throw e;
        }
        // the pool's changes so far were applied before there was an announcer
        d.control.execute(d::updateAnnouncement);
      }
      Path file = config.statusFile();
      if (file != null) {
        d.control.scheduleWithFixedDelay(() -> d.writeStatus(file), 0, 500, TimeUnit.MILLISECONDS);
      }
      return d;
    } catch (RuntimeException e) {
      links.forEach(l -> closeAll(l.sockets()));
      throw e;
    }
  }

  /** Opens the interface's socket unless a port of another VLAN already did, and describes the port. */
  private static Port port(DatapathConfig config, String name, int vlan, List<Link> links, boolean promiscuous) {
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
      links.add(new Link(name, iface, open(config, iface, promiscuous)));
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
    return new Port(label, link, vlan, l.iface().macAddress().toLong(), ipv4, v4, v6, six.getLong(0), six.getLong(8), addresses);
  }

  /**
   * Opens one socket per worker on an interface: an RX ring whose frames the worker holds while it
   * translates them in place and sends them by reference (gathered for one {@code sendmmsg(2)} per
   * round), offloads carried or undone as configured; with several workers, the members of one
   * fanout group whose program ({@link Steering}) gives both directions of a flow to one worker.
   */
  private static PacketSocket[] open(DatapathConfig config, NetInterface iface, boolean promiscuous) {
    PacketSocket.Options options = PacketSocket.Options.defaults()
        .rxRing(RX_FRAMES, FRAME_SIZE)
        .holdFrames(true)
        .txBatch(Worker.BATCH)
        .offloads(config.offloads())
        .promiscuous(promiscuous);
    if (config.workers() > 1) {
      // A group per interface (ids are per network namespace; a random one keeps other datapaths' apart).
      options = options.fanout(steering(config), ThreadLocalRandom.current().nextInt(0x10000));
    }
    PacketSocket[] sockets = new PacketSocket[config.workers()];
    try {
      for (int w = 0; w < sockets.length; w++) {
        sockets[w] = PacketSocket.open(iface, options);
      }
      return sockets;
    } catch (RuntimeException e) {
      closeAll(sockets);
      throw e;
    }
  }

  /** The fanout program that gives both directions of every flow to one worker. */
  private static long[] steering(DatapathConfig config) {
    byte[] vip = config.vip().getAddress();
    int vip4 = vip.length == 4 ? ByteBuffer.wrap(vip).getInt() : 0;
    int[] snat4 = config.snat().stream().map(InetAddress::getAddress).filter(a -> a.length == 4)
        .mapToInt(a -> ByteBuffer.wrap(a).getInt()).toArray();
    return Steering.program(config.workers(), vip4, snat4);
  }

  private static void closeAll(@Nullable PacketSocket[] sockets) {
    for (PacketSocket s : sockets) {
      if (s != null) {
        s.close();
      }
    }
  }

  /** The translator of worker {@code w} of {@code n}: its own share of the source-NAT ports ({@link Steering}). */
  private static NatConfig natConfig(DatapathConfig c, Port[] ports, Link[] links, io.github.lb4j.api.Scheduler scheduler, Neighbors neighbors,
      long gatewayMac, int w, int n) {
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
    b.snatPorts(Steering.snatPortLow(w, n), Steering.snatPortHigh(w, n));
    b.hairpinSnat(c.hairpinSnat());
    for (String s : c.serverSubnets()) {
      Cidr cidr = Cidr.parse("--server-subnet", s);
      b.serverSubnet(cidr.prefix(), cidr.length());
    }
    NatPort[] sides = new NatPort[ports.length];
    for (int i = 0; i < ports.length; i++) {
      sides[i] = new NatPort(i, MacAddress.ofLong(ports[i].mac()), ports[i].addresses(),
          Math.max(576, links[ports[i].link()].iface().mtu()));
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
    ReceivedFrame.Handler[] learn = new ReceivedFrame.Handler[links.length];
    for (int i = 0; i < links.length; i++) {
      int link = i;
      learn[i] = f -> learn(link, f);
    }
    try {
      while (System.nanoTime() < deadline && !neighbors.allResolved()) {
        if (Thread.interrupted()) {
          throw new StartCancelledException(gateway == null || neighbors.macOnWorker(gatewayIndex) != 0
              ? "stopped while resolving the servers' MAC addresses"
              : "stopped while waiting for --gateway " + Endpoints.host(gateway) + " to answer "
                  + (gateway instanceof Inet4Address ? "ARP" : "neighbor solicitation") + " on " + ports[0].name());
        }
        neighbors.sendDue(System.nanoTime());
        for (Link l : links) {
          l.sockets()[0].flush();
        }
        for (int i = 0; i < links.length; i++) {
          PacketSocket s = links[i].sockets()[0];
          if (s.poll(20)) {
            s.receive(learn[i], Worker.BATCH);
            s.release();
          }
        }
      }
    } catch (RuntimeException e) {
      closeSockets();
      throw e;
    }
  }

  private void closePool() {
    pool.close();
    control.shutdownNow();
  }

  /** Learns the next hops' MACs from an ARP frame or a neighbor advertisement received while starting. */
  private void learn(int link, ReceivedFrame f) {
    ByteBuffer b = f.buffer();
    int at = f.offset();
    int length = f.length();
    int vlan = UNTAGGED;
    if (length >= 18 && (b.getShort(at + 12) & 0xFFFF) == 0x8100) {
      vlan = b.getShort(at + 14) & 0x0FFF;
      MemorySegment.copy(f.memory(), at, f.memory(), at + 4, 12);
      at += 4;
      length -= 4;
      vlan = vlan == 0 ? UNTAGGED : vlan;
    }
    for (int p = 0; p < ports.length; p++) {
      if (ports[p].link() == link && ports[p].vlan() == vlan && length >= EthernetFlyweight.HEADER_LENGTH) {
        int type = b.getShort(at + 12) & 0xFFFF;
        if (type == EthernetFlyweight.ETHER_TYPE_ARP) {
          neighbors.onArp(p, b, at, length);
        } else if (type == EthernetFlyweight.ETHER_TYPE_IPV6 && length >= 14 + 40 + 4 && (b.get(at + 14 + 6) & 0xFF) == 58) {
          neighbors.onIcmpv6(p, b, at, length);
        }
      }
    }
  }

  private void closeSockets() {
    for (Link l : links) {
      closeAll(l.sockets());
    }
  }

  // ---------------------------------------------------------------- announcement

  /** Tells the announcer whether to announce, unless a graceful stop withdrew the VIP. Any thread. */
  private void updateAnnouncement() {
    VipAnnouncer a = announcer;
    if (a != null && !withdrawing) {
      a.serving(canServe());
    }
  }

  /** On a worker's thread as it ends: a failed worker withdraws the VIP at once. */
  private void onWorkerExit() {
    if (announcer == null || !running) {
      return;
    }
    try {
      control.execute(this::updateAnnouncement);
    } catch (RejectedExecutionException e) {
      // closing: close() withdraws
    }
  }

  // ---------------------------------------------------------------- status

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
   * Returns a datapath counter, summed over the workers (frames sent: over their sockets).
   *
   * @param c the counter
   * @return its value
   */
  long count(Counter c) {
    long sum = 0;
    if (c == Counter.TX_FRAMES) {
      for (Link l : links) {
        for (PacketSocket s : l.sockets()) {
          sum += s.framesSent();
        }
      }
      return sum;
    }
    for (Worker w : workers) {
      sum += w.count(c);
    }
    return sum;
  }

  /**
   * Returns what the sockets did to receive frames as on the wire (checksums completed, super-frames
   * segmented, VLAN tags restored), or to carry their offloads, or could not do, and what gathered
   * sends dropped, summed over the interfaces and workers. Any thread.
   *
   * @param c the counter
   * @return its value
   */
  public long count(PacketSocket.Counter c) {
    long sum = 0;
    for (Link l : links) {
      for (PacketSocket s : l.sockets()) {
        sum += s.count(c);
      }
    }
    if (c == PacketSocket.Counter.MALFORMED_OFFLOAD) {
      for (Worker w : workers) {
        sum += w.malformedOffloads();
      }
    }
    return sum;
  }

  /**
   * Returns a translator event counter (forwarded requests and replies, ARP replies, the seed's
   * pitfalls S6.1 and S6.2, ...), summed over the workers' translators.
   *
   * @param counter the counter
   * @return its value
   */
  public long count(NatCounter counter) {
    long sum = 0;
    for (Worker w : workers) {
      sum += w.translator().count(counter);
    }
    return sum;
  }

  /**
   * Returns how many frames the translators dropped for a reason.
   *
   * @param reason the reason
   * @return the count
   */
  public long drops(DropReason reason) {
    long sum = 0;
    for (Worker w : workers) {
      sum += w.translator().drops(reason);
    }
    return sum;
  }

  /**
   * Returns the first worker's flow table, for its occupancy and event counters ({@link
   * FlowTable#size()}, {@link FlowTable#count}), which any thread may read; every other method
   * belongs to that worker's thread. With one worker (the default) it holds every flow; with
   * several, each worker tracks its own share of the flows in its own table, and this one is
   * worker 0's share: read {@link #flowTables()} for all of them.
   *
   * @return worker 0's flow table
   */
  public FlowTable flowTable() {
    return workers[0].translator().flowTable();
  }

  /**
   * Returns every worker's flow table, by worker number; a flow is tracked in exactly one of them
   * (the one of the worker its frames are steered to), so their sizes and event counts add up to
   * the datapath's. Any thread may read their counters, as with {@link #flowTable()}.
   *
   * @return the tables, an immutable list of {@link #workers()} elements
   */
  public List<FlowTable> flowTables() {
    List<FlowTable> tables = new ArrayList<>(workers.length);
    for (Worker w : workers) {
      tables.add(w.translator().flowTable());
    }
    return List.copyOf(tables);
  }

  /**
   * Returns how many workers run the packet path (one thread, one flow table each).
   *
   * @return the number of workers
   */
  public int workers() {
    return workers.length;
  }

  /**
   * Returns the servers currently taking new flows (healthy, MAC resolved, not drained, weight above
   * 0), as of the pool's last published change. Allocates the list; any thread.
   *
   * @return the servers, an immutable list
   */
  public List<Backend> eligible() {
    return pool.backends().stream().filter(BackendState::serving).map(BackendState::backend).toList();
  }

  /**
   * Returns the pool that decides which servers take new flows. An operator's drain, maintenance
   * and weight changes ({@link BackendPool#setAdminState}, {@link BackendPool#setWeight}) reach the
   * translators' scheduler through it; flows already tracked stay on their server (a drain lets
   * them end). Any thread.
   *
   * @return the pool; closed by {@link #close}
   */
  public BackendPool pool() {
    return pool;
  }

  /**
   * Tells whether this datapath can serve its VIP: every worker runs, at least one server takes new
   * flows in the pool (healthy, MAC resolved, not drained), and every server's first health verdict
   * is in. The last condition keeps a starting balancer out of its ECMP group (or its VRRP pair)
   * until its scheduler holds the same servers as its peers': announced earlier, it would hash the
   * flows that move to it over the few servers found healthy first, and break those established on
   * the others. This is what the BGP announcement and the status file's {@code serving} follow; an
   * embedder with another announcer can poll it. Any thread; allocates a little (the pool's states).
   *
   * @return whether the VIP should be announced from this balancer
   */
  public boolean canServe() {
    if (!running()) {
      return false;
    }
    boolean anyServing = false;
    for (BackendState s : pool.backends()) {
      if (s.checked() == HealthState.UNKNOWN) {
        return false;
      }
      anyServing |= s.serving();
    }
    return anyServing;
  }

  /**
   * Returns the BGP announcer's status, when the VIP is announced.
   *
   * @return the status, or null without BGP
   */
  public @Nullable AnnouncerStatus announcement() {
    VipAnnouncer a = announcer;
    return a == null ? null : a.status();
  }

  /**
   * Stops gracefully: withdraws the VIP (and waits, up to 5 s, for the speaker to confirm), keeps
   * every worker forwarding while the routers move the VIP's traffic to the other balancers, until
   * no frame reached the VIP on any worker for {@link DatapathConfig#drainQuiet()} or {@link
   * DatapathConfig#drainTimeout()} passed, then {@link #close()}s. Without BGP there is nothing to
   * wait for and it closes at once. Blocks; an interrupt does not shorten the drain (it is kept and
   * set again on return). Call once, from the thread that owns the datapath.
   *
   * @return what the stop did
   */
  public Drain drainAndClose() {
    VipAnnouncer a = announcer;
    if (a == null || !running) {
      close();
      return new Drain(true, true, 0, 0);
    }
    withdrawing = true;
    a.serving(false);
    // A stop requested while draining must not cut the drain short: interrupts are kept for later.
    boolean interrupted = false;
    boolean withdrawn = false;
    long confirmDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!withdrawn && System.nanoTime() - confirmDeadline < 0) {
      try {
        withdrawn = a.awaitApplied(Duration.ofNanos(Math.max(1, confirmDeadline - System.nanoTime())));
        if (!withdrawn) {
          break;
        }
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    long start = System.nanoTime();
    long deadline = start + config.drainTimeout().toNanos();
    long quiet = config.drainQuiet().toNanos();
    long first = count(Counter.VIP_FRAMES);
    long seen = first;
    long lastChange = start;
    boolean drained = false;
    while (running()) {
      long now = System.nanoTime();
      long frames = count(Counter.VIP_FRAMES);
      if (frames != seen) {
        seen = frames;
        lastChange = now;
      }
      if (now - lastChange >= quiet) {
        drained = true;
        break;
      }
      if (now - deadline >= 0) {
        break;
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    LOG.info("drained for {} ms ({} frames to the VIP meanwhile, {})", millis, seen - first, drained ? "quiet" : "timed out");
    close();
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return new Drain(withdrawn, drained, millis, seen - first);
  }

  /**
   * Returns whether every worker is running; false after {@link #close} or when one failed.
   *
   * @return whether the workers run
   */
  public boolean running() {
    if (!running) {
      return false;
    }
    for (Worker w : workers) {
      if (!w.running()) {
        return false;
      }
    }
    return true;
  }

  /**
   * Returns the error that stopped a worker, if any.
   *
   * @return the error, or null
   */
  public @Nullable Throwable failure() {
    for (Worker w : workers) {
      Throwable t = w.failure();
      if (t != null) {
        return t;
      }
    }
    return null;
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
    sb.append("running ").append(running()).append('\n');
    sb.append("workers ").append(workers.length).append('\n');
    for (Worker w : workers) {
      sb.append("worker.").append(w.index()).append(".rx_frames ").append(w.count(Counter.RX_FRAMES)).append('\n');
    }
    sb.append("vip ").append(Endpoints.format(config.vip(), config.vipPort())).append('\n');
    List<BackendState> states = pool.backends();
    sb.append("eligible ").append(states.stream().filter(BackendState::serving).count()).append('\n');
    sb.append("serving ").append(canServe()).append('\n');
    VipAnnouncer a = announcer;
    if (a != null) {
      sb.append(a.status().lines("bgp."));
    }
    for (BackendState s : states) {
      Backend b = s.backend();
      MacAddress mac = neighbors.mac(b.address());
      sb.append("backend ").append(b.id()).append(' ').append(Endpoints.format(b.address(), b.port()))
          .append(' ').append(s.checked()).append(' ')
          .append(mac == null ? "unresolved" : mac.toString());
      if (s.admin() != AdminState.ACTIVE) {
        sb.append(' ').append(s.admin().name().toLowerCase(java.util.Locale.ROOT));
      }
      sb.append('\n');
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
    StringBuilder sb = new StringBuilder("eligible=").append(eligible().size());
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

  /**
   * Stops the BGP speaker (its peers withdraw the VIP at once: a stop without {@link
   * #drainAndClose()} cuts the flows in transit), the workers (each ends its round: every frame it
   * took is sent or dropped, counted, and its ring frames go back to the kernel), the control thread
   * and the health checks, and closes every socket. Idempotent; blocks until stopped.
   */
  @Override
  public void close() {
    running = false;
    VipAnnouncer a = announcer;
    if (a != null) {
      a.close();
    }
    for (Worker w : workers) {
      w.stop();
    }
    try {
      for (Thread t : workerThreads) {
        t.join(TimeUnit.SECONDS.toMillis(5));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    pool.close();
    control.shutdown();
    try {
      control.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Path file = config.statusFile();
    if (file != null) {
      writeStatus(file);
    }
    boolean stopped = true;
    for (int i = 0; i < workers.length; i++) {
      if (workerThreads[i].isAlive()) {
        stopped = false;
      } else {
        workers[i].closePoller();
      }
    }
    if (stopped) {
      closeSockets();
    }
  }
}
