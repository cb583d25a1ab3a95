package io.github.lb4j.micrometer;

import io.github.lb4j.health.OutlierDetector;
import io.github.lb4j.health.OutlierDetector.EjectionType;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Locale;
import java.util.Objects;

/**
 * The ejection counters of a stand-alone {@link OutlierDetector} (one the embedder feeds itself; a
 * {@link io.github.lb4j.pool.BackendPool}'s detector is counted by {@link PoolMetrics}).
 *
 * <table>
 *   <caption>Meters (the given tags, plus those listed)</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th><th>what</th></tr>
 *   <tr><td>{@code grpc.lb.outlier_detection.ejections_enforced}</td><td>counter</td>
 *       <td>{@code grpc.lb.outlier_detection.detection_method}: {@code success_rate},
 *       {@code failure_percentage}, {@code consecutive_5xx}, ...</td><td>ejections carried out (gRFC A91's
 *       name; Envoy's {@code ejections_enforced_*})</td></tr>
 *   <tr><td>{@code lb.outlier.ejections.detected}</td><td>counter</td><td>the same</td><td>outliers detected,
 *       ejected or not (Envoy's {@code ejections_detected_*})</td></tr>
 *   <tr><td>{@code lb.outlier.ejections.overflow}</td><td>counter</td><td></td><td>ejections the maximum
 *       ejection percentage prevented (Envoy's {@code ejections_overflow})</td></tr>
 *   <tr><td>{@code lb.outlier.ejections.active}</td><td>gauge</td><td></td><td>backends ejected now</td></tr>
 * </table>
 *
 * <p>The detector's counters are read when the registry asks ({@link OutlierDetector#stats()}
 * allocates one snapshot per meter read). Any thread; never blocks.
 */
public final class OutlierDetectorMetrics implements MeterBinder {

  private final OutlierDetector detector;
  private final Tags tags;

  /**
   * Creates the binder.
   *
   * @param detector the detector
   * @param tags tags on every meter, for example {@code pool=checkout}
   */
  public OutlierDetectorMetrics(OutlierDetector detector, Iterable<Tag> tags) {
    this.detector = Objects.requireNonNull(detector, "detector");
    this.tags = Tags.of(tags);
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    for (EjectionType type : EjectionType.values()) {
      Tags t = tags.and("grpc.lb.outlier_detection.detection_method", type.name().toLowerCase(Locale.ROOT));
      FunctionCounter.builder("grpc.lb.outlier_detection.ejections_enforced", detector, d -> d.stats().enforced(type))
          .tags(t).description("Enforced outlier ejections by detection method").register(registry);
      FunctionCounter.builder("lb.outlier.ejections.detected", detector, d -> d.stats().detected(type))
          .tags(t).description("Outliers detected by detection method, ejected or not").register(registry);
    }
    FunctionCounter.builder("lb.outlier.ejections.overflow", detector, d -> d.stats().overflow()).tags(tags)
        .description("Ejections prevented by the maximum ejection percentage").register(registry);
    Gauge.builder("lb.outlier.ejections.active", detector, d -> d.stats().active()).tags(tags)
        .description("Backends ejected now").register(registry);
  }
}
