package io.github.lb4j.micrometer;

import io.github.lb4j.api.DropReason;
import io.github.lb4j.nat.NatCounter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Locale;
import java.util.Objects;
import java.util.function.ToLongFunction;

/**
 * The verdicts of a packet translator: its events ({@link NatCounter}: forwarded requests and
 * replies, ARP and neighbour answers, ICMP errors, ...) and its drops by {@link DropReason}, read
 * from counters the translator keeps anyway ({@code BaseTranslator.count} and {@code drops}, or a
 * datapath's sums) when the registry asks.
 *
 * <table>
 *   <caption>Meters (the given tags, plus those listed)</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th><th>what</th></tr>
 *   <tr><td>{@code lb.nat.events}</td><td>counter</td><td>{@code event}: {@code forwarded_requests},
 *       {@code forwarded_replies}, {@code arp_replies}, ... (the {@link NatCounter} values, lower case)</td>
 *       <td>frames by what the translator did with them</td></tr>
 *   <tr><td>{@code lb.nat.drops}</td><td>counter</td><td>{@code reason}: {@code malformed},
 *       {@code no_backend}, {@code table_full}, ... (the {@link DropReason} values, lower case)</td>
 *       <td>frames dropped</td></tr>
 * </table>
 *
 * <p>The functions are called on the registry's thread: they must be safe to call from any thread
 * (the translators' counters are). Never blocks; allocates only while binding.
 */
public final class TranslatorMetrics implements MeterBinder {

  private final Object owner;
  private final ToLongFunction<NatCounter> events;
  private final ToLongFunction<DropReason> drops;
  private final Tags tags;

  /**
   * Creates the binder.
   *
   * @param owner the object the counters belong to; the meters keep it reachable
   * @param events reads an event counter, for example {@code translator::count}
   * @param drops reads a drop counter, for example {@code translator::drops}
   * @param tags tags on every meter, for example the forwarding mode
   */
  public TranslatorMetrics(Object owner, ToLongFunction<NatCounter> events, ToLongFunction<DropReason> drops,
      Iterable<Tag> tags) {
    this.owner = Objects.requireNonNull(owner, "owner");
    this.events = Objects.requireNonNull(events, "events");
    this.drops = Objects.requireNonNull(drops, "drops");
    this.tags = Tags.of(tags);
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    for (NatCounter c : NatCounter.values()) {
      FunctionCounter.builder("lb.nat.events", owner, o -> events.applyAsLong(c)).tags(tags)
          .tag("event", c.name().toLowerCase(Locale.ROOT)).description("Frames by what the translator did with them")
          .register(registry);
    }
    for (DropReason r : DropReason.values()) {
      FunctionCounter.builder("lb.nat.drops", owner, o -> drops.applyAsLong(r)).tags(tags)
          .tag("reason", r.name().toLowerCase(Locale.ROOT)).description("Frames dropped, by reason").register(registry);
    }
  }
}
