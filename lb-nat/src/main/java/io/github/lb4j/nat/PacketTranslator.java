package io.github.lb4j.nat;

import io.github.lb4j.api.Direction;
import io.github.lb4j.api.DropReason;
import io.github.lb4j.api.Frame;
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
   * Translates a batch of frames that travel the same way, as {@link #translate(Frame, Direction)}
   * would one by one (same verdicts, same bytes), faster when the flows are many: it first reads the
   * flow-table line of every frame ({@link FlowTable#prefetchFrame}), so that their cache misses
   * overlap instead of following each other, then translates each. A datapath that receives frames
   * in batches (mmap rings, recvmmsg) hands it each batch. Same thread and allocation rules as
   * {@code translate}.
   *
   * @param frames the frames; {@code frames[0..count)} are translated in place
   * @param count how many, 0..frames.length
   * @param direction which way they travel
   * @param verdicts receives each frame's verdict, at the same index
   */
  default void translate(Frame[] frames, int count, Direction direction, int[] verdicts) {
    FlowTable table = flowTable();
    boolean request = direction == Direction.CLIENT_TO_SERVER;
    for (int i = 0; i < count; i++) {
      Frame f = frames[i];
      table.prefetchFrame(f.buffer(), f.offset(), f.length(), request);
    }
    for (int i = 0; i < count; i++) {
      verdicts[i] = translate(frames[i], direction);
    }
  }

  /**
   * Returns the configuration.
   *
   * @return the configuration
   */
  NatConfig config();
}
