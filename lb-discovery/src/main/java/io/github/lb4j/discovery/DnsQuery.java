package io.github.lb4j.discovery;

import io.github.lb4j.api.Backend;
import java.io.IOException;
import java.net.InetAddress;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * One lookup of a {@link DnsMembership}: the queries, and the answer turned into backends. Called on
 * the source's scheduler thread only; blocks for the queries.
 */
final class DnsQuery {

  /** A good answer: the backends sorted by id, and the shortest TTL of the records used. */
  record Answer(List<Backend> backends, long ttlSeconds) {}

  /** A lookup that gave no usable answer; the message says which query, which server, what went wrong. */
  static final class LookupException extends Exception {
    private static final long serialVersionUID = 1L;

    LookupException(String message) {
      super(message);
    }
  }

  /** The label that names an SRV record's target on the backends made from it. */
  static final String TARGET_LABEL = "dns.target";

  private final Resolver resolver;
  private final Name name;
  private final String text;
  private final int port;
  private final boolean ipv4;
  private final boolean ipv6;
  private final String servers;

  DnsQuery(Resolver resolver, String name, int port, boolean ipv4, boolean ipv6, String servers) {
    this.resolver = resolver;
    try {
      this.name = Name.fromString(name, Name.root);
    } catch (TextParseException e) {
      throw new IllegalArgumentException(e);
    }
    this.text = name;
    this.port = port;
    this.ipv4 = ipv4;
    this.ipv6 = ipv6;
    this.servers = servers;
  }

  String name() {
    return text;
  }

  String describe() {
    return (port < 0 ? "SRV " + text : "A/AAAA " + text + " port " + port) + " via " + servers;
  }

  Answer resolve() throws LookupException {
    return port < 0 ? resolveSrv() : resolveAddresses();
  }

  private Answer resolveSrv() throws LookupException {
    Message reply = ask(name, Type.SRV);
    int rcode = reply.getRcode();
    if (rcode != Rcode.NOERROR) {
      throw new LookupException("SRV " + text + ": " + Rcode.string(rcode) + " from " + servers);
    }
    List<SRVRecord> srvs = new ArrayList<>();
    for (Record r : reply.getSection(Section.ANSWER)) {
      if (r instanceof SRVRecord s) {
        srvs.add(s);
      }
    }
    if (srvs.isEmpty()) {
      throw new LookupException("SRV " + text + ": the answer has no SRV record (" + servers + ")");
    }
    long ttl = Long.MAX_VALUE;
    for (SRVRecord s : srvs) {
      ttl = Math.min(ttl, s.getTTL());
    }
    // RFC 2782: a single record with target "." means the service is decidedly not available here.
    if (srvs.size() == 1 && srvs.get(0).getTarget().equals(Name.root)) {
      return new Answer(List.of(), ttl);
    }
    TreeSet<Integer> priorities = new TreeSet<>();
    srvs.forEach(s -> priorities.add(s.getPriority()));
    List<Integer> ranks = new ArrayList<>(priorities);
    Map<String, Backend> byId = new LinkedHashMap<>();
    List<String> unresolved = new ArrayList<>();
    for (SRVRecord s : srvs) {
      if (s.getTarget().equals(Name.root)) {
        continue;
      }
      Addresses found = addressesOf(s.getTarget(), reply);
      ttl = Math.min(ttl, found.ttl);
      if (found.addresses.isEmpty()) {
        unresolved.add(s.getTarget().toString(true));
        continue;
      }
      int priority = Math.min(ranks.indexOf(s.getPriority()), Backend.MAX_PRIORITY);
      int weight = Math.max(1, Math.min(s.getWeight(), Backend.MAX_WEIGHT));
      for (InetAddress a : found.addresses) {
        String id = io.github.lb4j.api.Addresses.format(a, s.getPort());
        Backend b = Backend.of(id, a, s.getPort()).withWeight(weight).withPriority(priority)
            .withLabel(TARGET_LABEL, s.getTarget().toString(true));
        Backend seen = byId.get(id);
        if (seen == null || seen.priority() > priority
            || (seen.priority() == priority && seen.weight() < weight)) {
          byId.put(id, b);
        }
      }
    }
    if (byId.isEmpty()) {
      throw new LookupException("SRV " + text + ": no target has an address (" + String.join(", ", unresolved) + ")");
    }
    return new Answer(sorted(byId), ttl);
  }

  private Answer resolveAddresses() throws LookupException {
    Addresses found = addressesOf(name, null);
    if (found.addresses.isEmpty()) {
      throw new LookupException((ipv4 && ipv6 ? "A/AAAA " : ipv4 ? "A " : "AAAA ") + text + ": "
          + (found.nxdomain ? "NXDOMAIN" : "no address record") + " from " + servers);
    }
    Map<String, Backend> byId = new LinkedHashMap<>();
    for (InetAddress a : found.addresses) {
      String id = io.github.lb4j.api.Addresses.format(a, port);
      byId.put(id, Backend.of(id, a, port));
    }
    return new Answer(sorted(byId), found.ttl);
  }

  private static List<Backend> sorted(Map<String, Backend> byId) {
    List<Backend> out = new ArrayList<>(byId.values());
    out.sort(Comparator.comparing(Backend::id));
    return List.copyOf(out);
  }

  /** The addresses of one name and their shortest TTL. */
  private static final class Addresses {
    final List<InetAddress> addresses = new ArrayList<>();
    long ttl = Long.MAX_VALUE;
    boolean nxdomain;
  }

  /**
   * The A and AAAA addresses of a name: from the additional section of {@code srvReply} when it
   * carries them (servers add the targets' addresses they know), else by asking.
   */
  private Addresses addressesOf(Name host, @org.jspecify.annotations.Nullable Message srvReply) throws LookupException {
    Addresses out = new Addresses();
    if (srvReply != null) {
      collect(srvReply.getSection(Section.ADDITIONAL), host, out);
      if (!out.addresses.isEmpty()) {
        return out;
      }
    }
    int nx = 0;
    int asked = 0;
    for (int type : new int[] {Type.A, Type.AAAA}) {
      if ((type == Type.A && !ipv4) || (type == Type.AAAA && !ipv6)) {
        continue;
      }
      asked++;
      Message reply = ask(host, type);
      int rcode = reply.getRcode();
      if (rcode == Rcode.NXDOMAIN) {
        nx++;
        continue;
      }
      if (rcode != Rcode.NOERROR) {
        throw new LookupException(Type.string(type) + " " + host.toString(true) + ": " + Rcode.string(rcode) + " from " + servers);
      }
      collect(reply.getSection(Section.ANSWER), null, out);
    }
    out.nxdomain = asked > 0 && nx == asked;
    return out;
  }

  private void collect(List<Record> records, @org.jspecify.annotations.Nullable Name owner, Addresses out) {
    for (Record r : records) {
      if (owner != null && !r.getName().equals(owner)) {
        continue;
      }
      InetAddress a = null;
      if (r instanceof ARecord ar && ipv4) {
        a = ar.getAddress();
      } else if (r instanceof AAAARecord aaaa && ipv6) {
        a = aaaa.getAddress();
      }
      if (a != null && !out.addresses.contains(a)) {
        out.addresses.add(a);
        out.ttl = Math.min(out.ttl, r.getTTL());
      }
    }
  }

  private Message ask(Name qname, int type) throws LookupException {
    Message query = Message.newQuery(Record.newRecord(qname, type, DClass.IN));
    try {
      return resolver.send(query);
    } catch (SocketTimeoutException e) {
      throw new LookupException(Type.string(type) + " " + qname.toString(true) + ": no answer within "
          + resolver.getTimeout().toMillis() + " ms from " + servers);
    } catch (PortUnreachableException e) {
      throw new LookupException(Type.string(type) + " " + qname.toString(true) + ": nothing listens at " + servers
          + " (ICMP port unreachable)");
    } catch (IOException e) {
      throw new LookupException(Type.string(type) + " " + qname.toString(true) + ": " + e + " (" + servers + ")");
    }
  }
}
