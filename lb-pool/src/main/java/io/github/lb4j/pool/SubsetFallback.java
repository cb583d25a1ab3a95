package io.github.lb4j.pool;

/**
 * What a pick does when subsets are configured and its {@link Subset} matches no selector, or it
 * names none: Envoy's subset load balancer {@code fallback_policy} (its default is {@link
 * #NO_FALLBACK}).
 */
public enum SubsetFallback {
  /** Refuse the pick ({@link PickStatus#NO_BACKEND}), Envoy's {@code NO_FALLBACK}. */
  NO_FALLBACK,
  /** Balance over the whole pool, Envoy's {@code ANY_ENDPOINT}. */
  ANY_ENDPOINT,
  /** Balance over the backends that carry the default subset's labels, Envoy's {@code DEFAULT_SUBSET}. */
  DEFAULT_SUBSET
}
