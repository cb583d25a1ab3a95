package io.github.lb4j.algorithms;

import io.github.lb4j.api.FlowHash;
import io.github.lb4j.api.FlowKey;

/**
 * Which fields of a flow a hashing scheduler hashes (option {@code hash-key}). Stateless; any thread;
 * never allocates.
 */
enum HashKey {
  /** Protocol, both addresses, both ports: Maglev's and Katran's L4 default. */
  FIVE_TUPLE("five-tuple"),
  /** Both addresses and ports (seed S3.3). */
  FOUR_TUPLE("four-tuple"),
  /** Protocol and both addresses: stable across IP fragments. */
  THREE_TUPLE("three-tuple"),
  /** The client address only: one client, one backend. */
  SOURCE_ADDRESS("source-address");

  private final String optionValue;

  HashKey(String optionValue) {
    this.optionValue = optionValue;
  }

  String optionValue() {
    return optionValue;
  }

  long hash(FlowKey flow, long seed) {
    switch (this) {
      case FOUR_TUPLE:
        return FlowHash.fourTuple(flow, seed);
      case THREE_TUPLE:
        return FlowHash.threeTuple(flow, seed);
      case SOURCE_ADDRESS:
        return FlowHash.sourceAddress(flow, seed);
      default:
        return FlowHash.fiveTuple(flow, seed);
    }
  }
}
