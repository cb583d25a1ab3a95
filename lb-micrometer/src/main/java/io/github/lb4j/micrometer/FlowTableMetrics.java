package io.github.lb4j.micrometer;

import io.github.lb4j.nat.flow.FlowCounter;
import io.github.lb4j.nat.flow.FlowTable;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Objects;

/**
 * The occupancy and events of a packet path's {@link FlowTable}, read from the table's own counters
 * ({@link FlowTable#size()}, {@link FlowTable#count}, which any thread may read) when the registry
 * asks: the worker that owns the table does nothing more per packet.
 *
 * <table>
 *   <caption>Meters (the given tags, plus those listed)</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th><th>what</th></tr>
 *   <tr><td>{@code lb.flow.table.flows}</td><td>gauge</td><td></td><td>flows held now (live or expired
 *       and not yet freed)</td></tr>
 *   <tr><td>{@code lb.flow.table.capacity}</td><td>gauge</td><td></td><td>slots</td></tr>
 *   <tr><td>{@code lb.flow.table.memory}</td><td>gauge</td><td></td><td>bytes of flow memory</td></tr>
 *   <tr><td>{@code lb.flow.table.inserts}</td><td>counter</td><td>{@code slot}: {@code free},
 *       {@code expired}, {@code evicted}</td><td>flows created, by the slot they took</td></tr>
 *   <tr><td>{@code lb.flow.table.evictions}</td><td>counter</td><td></td><td>flows evicted to make room
 *       (the oldest non-established flow of a full bucket)</td></tr>
 *   <tr><td>{@code lb.flow.table.refused}</td><td>counter</td><td>{@code reason}: {@code table_full},
 *       {@code rate_limited}</td><td>new flows given no state</td></tr>
 *   <tr><td>{@code lb.flow.table.freed}</td><td>counter</td><td>{@code reason}: {@code expired},
 *       {@code closed}</td><td>flows freed</td></tr>
 *   <tr><td>{@code lb.flow.table.lookups}</td><td>counter</td><td>{@code result}: {@code hit},
 *       {@code miss}</td><td>lookups</td></tr>
 * </table>
 *
 * <p>Any thread; never blocks; allocates only while binding.
 */
public final class FlowTableMetrics implements MeterBinder {

  private final FlowTable table;
  private final Tags tags;

  /**
   * Creates the binder.
   *
   * @param table the table
   * @param tags tags on every meter, for example the interface or the VIP
   */
  public FlowTableMetrics(FlowTable table, Iterable<Tag> tags) {
    this.table = Objects.requireNonNull(table, "table");
    this.tags = Tags.of(tags);
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Gauge.builder("lb.flow.table.flows", table, FlowTable::size).tags(tags)
        .description("Flows held in the table").register(registry);
    Gauge.builder("lb.flow.table.capacity", table, FlowTable::capacity).tags(tags)
        .description("Slots of the table").register(registry);
    Gauge.builder("lb.flow.table.memory", table, FlowTable::memoryBytes).tags(tags).baseUnit(BaseUnits.BYTES)
        .description("Flow memory of the table").register(registry);
    counter(registry, "lb.flow.table.inserts", "slot", "free", FlowCounter.INSERTED, "Flows created, by the slot they took");
    counter(registry, "lb.flow.table.inserts", "slot", "expired", FlowCounter.REUSED_EXPIRED,
        "Flows created, by the slot they took");
    counter(registry, "lb.flow.table.inserts", "slot", "evicted", FlowCounter.EVICTED, "Flows created, by the slot they took");
    FunctionCounter.builder("lb.flow.table.evictions", table, t -> t.count(FlowCounter.EVICTED)).tags(tags)
        .description("Flows evicted to make room for a new one").register(registry);
    counter(registry, "lb.flow.table.refused", "reason", "table_full", FlowCounter.TABLE_FULL, "New flows given no state");
    counter(registry, "lb.flow.table.refused", "reason", "rate_limited", FlowCounter.RATE_LIMITED, "New flows given no state");
    counter(registry, "lb.flow.table.freed", "reason", "expired", FlowCounter.EXPIRED, "Flows freed");
    counter(registry, "lb.flow.table.freed", "reason", "closed", FlowCounter.CLOSED, "Flows freed");
    counter(registry, "lb.flow.table.lookups", "result", "hit", FlowCounter.HITS, "Flow lookups");
    counter(registry, "lb.flow.table.lookups", "result", "miss", FlowCounter.MISSES, "Flow lookups");
  }

  private void counter(MeterRegistry r, String name, String key, String value, FlowCounter c, String description) {
    FunctionCounter.builder(name, table, t -> t.count(c)).tags(tags).tag(key, value).description(description).register(r);
  }
}
