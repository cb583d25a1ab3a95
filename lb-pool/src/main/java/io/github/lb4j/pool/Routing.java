package io.github.lb4j.pool;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.NoBackendPolicy;
import io.github.lb4j.api.SchedulerConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Builds the routes of one publication (priority levels, zone groups, subsets) and keeps the
 * scheduler instance of every group alive across publications, so that a group's round-robin turn,
 * adaptive weights or hash table survive changes elsewhere in the pool, as Envoy keeps one load
 * balancer per priority and locality and rebuilds only what changed.
 *
 * <p>Control context only; allocates freely; never blocks.
 */
final class Routing {

  /** One member as a publication sees it. */
  record Host(Member member, Backend published, boolean serving, boolean degraded) {
    int priority() {
      return published.priority();
    }

    String zone() {
      String z = published.zone();
      return z == null ? "" : z;
    }
  }

  private enum Kind { HEALTHY, DEGRADED, PANIC }

  private static final class Group {
    final StripedScheduler scheduler;
    List<Backend> last = List.of();
    boolean used;

    Group(StripedScheduler scheduler) {
      this.scheduler = scheduler;
    }
  }

  private final String algorithm;
  private final SchedulerConfig config;
  private final int stripes;
  private final RoutingConfig rc;
  private final Map<String, Group> groups = new HashMap<>();

  Routing(String algorithm, SchedulerConfig config, int stripes, RoutingConfig rc) {
    this.algorithm = algorithm;
    this.config = config;
    this.stripes = stripes;
    this.rc = rc;
  }

  RoutingConfig config() {
    return rc;
  }

  /** Whether picks need routes for these hosts; if not, the pool's own scheduler serves as the one group. */
  boolean needed(List<Host> hosts) {
    if (rc.anyFeature()) {
      return true;
    }
    for (Host h : hosts) {
      if (h.priority() != 0 || h.degraded()) {
        return true;
      }
    }
    return false;
  }

  /** Marks every group unused; {@link #sweep} then drops those no route took. */
  void begin() {
    for (Group g : groups.values()) {
      g.used = false;
    }
  }

  void sweep() {
    groups.values().removeIf(g -> !g.used);
  }

  /** The scheduler instances of every live group, for load reports. */
  List<StripedScheduler> schedulers() {
    List<StripedScheduler> out = new ArrayList<>(groups.size());
    for (Group g : groups.values()) {
      out.add(g.scheduler);
    }
    return out;
  }

  /** The subsets of these hosts, by {@link Subset#key}, each with its route. */
  Map<String, Route> subsets(List<Host> hosts) {
    Map<String, List<Host>> bySubset = new LinkedHashMap<>();
    for (SortedSet<String> selector : rc.selectors()) {
      for (Host h : hosts) {
        Map<String, String> labels = h.published().labels();
        TreeMap<String, String> values = new TreeMap<>();
        for (String k : selector) {
          String v = labels.get(k);
          if (v == null) {
            values = null;
            break;
          }
          values.put(k, v);
        }
        if (values != null) {
          bySubset.computeIfAbsent(Subset.key(values), k -> new ArrayList<>()).add(h);
        }
      }
    }
    Map<String, Route> out = new HashMap<>();
    bySubset.forEach((key, members) -> out.put(key, route("s" + key, members)));
    return out;
  }

  /** The route of the fallback policy; {@code all} is the route of the whole pool. */
  Route fallback(List<Host> hosts, Route all) {
    switch (rc.fallback()) {
      case ANY_ENDPOINT:
        return all;
      case DEFAULT_SUBSET:
        List<Host> members = new ArrayList<>();
        for (Host h : hosts) {
          if (h.published().labels().entrySet().containsAll(rc.defaultSubset().entrySet())) {
            members.add(h);
          }
        }
        return route("d", members);
      default:
        return Route.EMPTY;
    }
  }

  /**
   * The route over {@code hosts}, Envoy's way: the load of each priority level from its health,
   * then per level the zone groups.
   *
   * @param name distinguishes the groups of this route from those of other routes
   */
  Route route(String name, List<Host> hosts) {
    TreeMap<Integer, List<Host>> byPriority = new TreeMap<>();
    for (Host h : hosts) {
      byPriority.computeIfAbsent(h.priority(), p -> new ArrayList<>()).add(h);
    }
    int n = byPriority.size();
    int[] count = new int[n];
    int[] healthy = new int[n];
    int[] degraded = new int[n];
    List<List<Host>> levels = new ArrayList<>(byPriority.values());
    int[] priorities = new int[n];
    int i = 0;
    for (Map.Entry<Integer, List<Host>> e : byPriority.entrySet()) {
      priorities[i] = e.getKey();
      for (Host h : e.getValue()) {
        count[i]++;
        if (h.serving()) {
          if (h.degraded()) {
            degraded[i]++;
          } else {
            healthy[i]++;
          }
        }
      }
      i++;
    }
    int[][] loads = PriorityLoad.compute(count, healthy, degraded, rc.overprovisioningPercent());
    int availability = 0;
    for (int p = 0; p < n; p++) {
      availability += PriorityLoad.availability(healthy[p], count[p], rc.overprovisioningPercent())
          + PriorityLoad.availability(degraded[p], count[p], rc.overprovisioningPercent());
    }
    List<Route.Level> out = new ArrayList<>();
    List<Integer> shares = new ArrayList<>();
    Set<Member> selectable = new java.util.LinkedHashSet<>();
    if (availability == 0) {
      if (config.noBackendPolicy() != NoBackendPolicy.FAIL_OPEN && config.panicThresholdPercent() == 0) {
        return Route.EMPTY;
      }
      int[] byCount = PriorityLoad.byHostCount(count);
      for (int p = 0; p < n; p++) {
        addLevel(out, shares, selectable, name, Kind.PANIC, priorities[p], levels.get(p), levels.get(p), byCount[p]);
      }
    } else {
      boolean below100 = availability < 100;
      for (int p = 0; p < n; p++) {
        List<Host> level = levels.get(p);
        if (PriorityLoad.inPanic(count[p], healthy[p] + degraded[p], below100, config.panicThresholdPercent())) {
          addLevel(out, shares, selectable, name, Kind.PANIC, priorities[p], level, level, loads[0][p] + loads[1][p]);
          continue;
        }
        addLevel(out, shares, selectable, name, Kind.HEALTHY, priorities[p], level, select(level, false), loads[0][p]);
        addLevel(out, shares, selectable, name, Kind.DEGRADED, priorities[p], level, select(level, true), loads[1][p]);
      }
    }
    Member[] fallback = selectable.toArray(new Member[0]);
    if (out.size() == 1 && out.get(0).groups.length == 1) {
      return Route.single(out.get(0).groups[0], fallback);
    }
    int[] cumulative = new int[out.size()];
    int sum = 0;
    for (int k = 0; k < cumulative.length; k++) {
      sum += shares.get(k);
      cumulative[k] = sum;
    }
    return new Route(null, fallback, cumulative, out.toArray(new Route.Level[0]));
  }

  private static List<Host> select(List<Host> level, boolean degraded) {
    List<Host> out = new ArrayList<>();
    for (Host h : level) {
      if (h.serving() && h.degraded() == degraded) {
        out.add(h);
      }
    }
    return out;
  }

  /** Adds a level with load {@code share} made of {@code members} (all of priority {@code priority}, in {@code level}). */
  private void addLevel(List<Route.Level> out, List<Integer> shares, Set<Member> selectable, String route, Kind kind,
      int priority, List<Host> level, List<Host> members, int share) {
    if (share <= 0 || members.isEmpty()) {
      return;
    }
    String prefix = route + "|" + kind + "|" + priority + "|";
    if (!rc.zoned()) {
      StripedScheduler g = group(prefix + "*", members);
      out.add(new Route.Level(prefix, new StripedScheduler[] {g}, new double[] {1}, ZoneAware.OFF));
      shares.add(share);
      members.forEach(h -> selectable.add(h.member()));
      return;
    }
    // Zones in a fixed order: the level's own and, for zone-aware routing, the callers'.
    TreeSet<String> zoneSet = new TreeSet<>();
    level.forEach(h -> zoneSet.add(h.zone()));
    boolean zoneAware = rc.localZone() != null && kind == Kind.HEALTHY && priority == 0;
    if (zoneAware && rc.callersPerZone() != null) {
      zoneSet.addAll(rc.callersPerZone().keySet());
    }
    List<String> zones = new ArrayList<>(zoneSet);
    int z = zones.size();
    int[] all = new int[z];
    int[] eligible = new int[z];
    long[] weightSum = new long[z];
    Map<String, List<Host>> byZone = new HashMap<>();
    for (Host h : level) {
      all[zones.indexOf(h.zone())]++;
    }
    for (Host h : members) {
      int k = zones.indexOf(h.zone());
      eligible[k]++;
      weightSum[k] += h.published().weight();
      byZone.computeIfAbsent(h.zone(), x -> new ArrayList<>()).add(h);
    }
    StripedScheduler[] groups = new StripedScheduler[z];
    double[] cumulative = new double[z];
    double sum = 0;
    Map<String, Integer> weights = rc.localityWeights();
    for (int k = 0; k < z; k++) {
      List<Host> in = byZone.get(zones.get(k));
      double w;
      if (weights != null) {
        // Envoy's effective locality weight: weight x min(1, factor x eligible / hosts).
        double availability = Math.min(1.0, rc.overprovisioningPercent() / 100.0 * eligible[k] / Math.max(1, all[k]));
        w = kind == Kind.PANIC ? weights.getOrDefault(zones.get(k), 0) : weights.getOrDefault(zones.get(k), 0) * availability;
      } else {
        w = weightSum[k];
      }
      if (in != null && w > 0) {
        groups[k] = group(prefix + zones.get(k), in);
        in.forEach(h -> selectable.add(h.member()));
      } else {
        w = 0;
      }
      sum += w;
      cumulative[k] = sum;
    }
    ZoneAware za = ZoneAware.OFF;
    if (zoneAware) {
      long[] callers = new long[z];
      Map<String, Integer> given = rc.callersPerZone();
      for (int k = 0; k < z; k++) {
        callers[k] = given != null ? given.getOrDefault(zones.get(k), 0) : all[k];
      }
      za = ZoneAware.compute(eligible, callers, zones.indexOf(rc.localZone()), level.size(), rc.minClusterSize());
      if (za.applies()) {
        // Zone-aware routing balances over the zones' own backends, whatever their weights' sums.
        for (int k = 0; k < z; k++) {
          if (groups[k] == null && eligible[k] > 0) {
            groups[k] = group(prefix + zones.get(k), byZone.get(zones.get(k)));
          }
        }
      }
    }
    if (sum <= 0 && !za.applies()) {
      return;
    }
    out.add(new Route.Level(prefix, groups, cumulative, za));
    shares.add(share);
  }

  /** The group of that key, created on first use, updated when its members changed. */
  private StripedScheduler group(String key, List<Host> members) {
    Group g = groups.get(key);
    if (g == null) {
      g = new Group(StripedScheduler.create(algorithm, config, stripes));
      groups.put(key, g);
    }
    g.used = true;
    List<Backend> eligible = new ArrayList<>(members.size());
    for (Host h : members) {
      eligible.add(h.published());
    }
    if (!sameObjects(eligible, g.last)) {
      g.scheduler.apply(eligible, List.of());
      g.last = eligible;
    }
    return g.scheduler;
  }

  static boolean sameObjects(List<Backend> a, List<Backend> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (a.get(i) != b.get(i)) {
        return false;
      }
    }
    return true;
  }
}
