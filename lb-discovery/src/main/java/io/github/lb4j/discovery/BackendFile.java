package io.github.lb4j.discovery;

import io.github.lb4j.api.Addresses;
import io.github.lb4j.api.Backend;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The format of a {@link FileMembership} file, parsed whole or rejected whole. Stateless; any
 * thread; allocates; never blocks (no name resolution: addresses are literals).
 */
final class BackendFile {

  private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

  private BackendFile() {}

  /** A file that cannot be used; the message names the file, the line and what is wrong. */
  static final class BadFileException extends Exception {
    private static final long serialVersionUID = 1L;

    BadFileException(String message) {
      super(message);
    }
  }

  static List<Backend> parse(Path file, String text) throws BadFileException {
    Map<String, Backend> byId = new LinkedHashMap<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      int hash = line.indexOf('#');
      String content = (hash >= 0 ? line.substring(0, hash) : line).strip();
      if (content.isEmpty()) {
        continue;
      }
      String where = file + ":" + (i + 1);
      Backend b;
      try {
        b = parseLine(content);
      } catch (IllegalArgumentException e) {
        throw new BadFileException(where + ": " + e.getMessage() + " in '" + content + "'");
      }
      if (byId.putIfAbsent(b.id(), b) != null) {
        throw new BadFileException(where + ": backend id '" + b.id() + "' appears twice");
      }
    }
    if (byId.isEmpty()) {
      throw new BadFileException(file + ": no backend (an empty file is taken for one being written, not for an empty pool)");
    }
    return List.copyOf(byId.values());
  }

  private static Backend parseLine(String content) {
    String[] tokens = content.split("\\s+");
    List<String> positional = new ArrayList<>();
    Map<String, String> options = new LinkedHashMap<>();
    for (String t : tokens) {
      int eq = t.indexOf('=');
      if (eq > 0) {
        String key = t.substring(0, eq).toLowerCase(Locale.ROOT);
        if (options.put(key, t.substring(eq + 1)) != null) {
          throw new IllegalArgumentException("'" + key + "' is given twice");
        }
      } else {
        positional.add(t);
      }
    }
    if (positional.isEmpty() || positional.size() > 2) {
      throw new IllegalArgumentException("expected [ID] ADDRESS:PORT [weight=N] [priority=N] [zone=Z] [label.KEY=VALUE]");
    }
    String endpoint = positional.get(positional.size() - 1);
    int colon = endpoint.lastIndexOf(':');
    if (colon <= 0 || colon == endpoint.length() - 1) {
      throw new IllegalArgumentException("'" + endpoint + "' is not ADDRESS:PORT");
    }
    String host = endpoint.substring(0, colon);
    int port = integer("port", endpoint.substring(colon + 1), 1, 65_535);
    InetAddress address = literal(host);
    String id = positional.size() == 2 ? positional.get(0) : Addresses.format(address, port);
    Backend b = Backend.of(id, address, port);
    for (Map.Entry<String, String> o : options.entrySet()) {
      String key = o.getKey();
      String value = o.getValue();
      if (key.equals("weight")) {
        b = b.withWeight(integer("weight", value, 0, Backend.MAX_WEIGHT));
      } else if (key.equals("priority")) {
        b = b.withPriority(integer("priority", value, 0, Backend.MAX_PRIORITY));
      } else if (key.equals("zone")) {
        b = b.withZone(value);
      } else if (key.startsWith("label.") && key.length() > "label.".length()) {
        b = b.withLabel(key.substring("label.".length()), value);
      } else {
        throw new IllegalArgumentException("unknown option '" + key + "' (known: weight, priority, zone, label.KEY)");
      }
    }
    return b;
  }

  private static InetAddress literal(String host) {
    String h = host;
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
      if (!IPV6.matcher(h).matches()) {
        throw new IllegalArgumentException("'" + host + "' is not an IPv6 address");
      }
    } else if (!IPV4.matcher(h).matches()) {
      throw new IllegalArgumentException("'" + host + "' is not an IPv4 address or a bracketed IPv6 address"
          + " (names belong in DNS: use a DNS source)");
    }
    try {
      // A literal: getByName parses it and asks no resolver.
      return InetAddress.getByName(h);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("'" + host + "' is not an IP address");
    }
  }

  private static int integer(String what, String text, int min, int max) {
    int v;
    try {
      v = Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + " '" + text + "' is not a number");
    }
    if (v < min || v > max) {
      throw new IllegalArgumentException(what + " must be " + min + ".." + max + ", was " + v);
    }
    return v;
  }
}
