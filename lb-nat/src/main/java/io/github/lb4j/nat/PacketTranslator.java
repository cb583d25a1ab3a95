package io.github.lb4j.nat;

import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.NatTranslator;
import io.github.lb4j.nat.flow.FlowTable;

/**
 * A {@link NatTranslator} of lb4j's packet core, with its counters and flow table exposed. Built by
 * {@link NatTranslators#create(NatConfig)}.
 *
 * <p>Threading as {@link NatTranslator}: one datapath thread calls {@link #translate}; any thread may
 * read {@link #count}, {@link #drops} and the table's statistics. {@code translate} never allocates
 * (except the first time a backend is seen) and never blocks.
 */
public interface PacketTranslator extends NatTranslator {

  /**
   * Returns an event counter.
   *
   * @param counter which one
   * @return its value
   */
  long count(NatCounter counter);

  /**
   * Returns the frames dropped for one reason.
   *
   * @param reason the reason
   * @return how many
   */
  long drops(DropReason reason);

  /**
   * Returns the flow table this translator owns (its writer is the translator's thread).
   *
   * @return the flow table
   */
  FlowTable flowTable();

  /**
   * Returns the configuration.
   *
   * @return the configuration
   */
  NatConfig config();
}
