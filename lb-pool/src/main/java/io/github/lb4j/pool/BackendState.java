package io.github.lb4j.pool;

import io.github.lb4j.api.Backend;
import io.github.lb4j.api.HealthState;
import java.util.Objects;

/**
 * One backend as the pool sees it at one moment: its definition from the membership (with its
 * metadata: zone, priority, labels), its administrative state, its health from active checks and
 * from the embedder, whether outlier detection ejected it, the weight the scheduler uses, and the
 * resulting decision: whether it takes new requests.
 *
 * <p>Immutable; any thread may use it. Never blocks.
 *
 * @param backend the backend as the membership defines it
 * @param admin the administrative state
 * @param checked the health from active checks; {@link HealthState#UNKNOWN} until the checks
 *     decide, {@link HealthState#UP} when the pool has no health check
 * @param reported the health the embedder reported with {@link BackendPool#reportHealth};
 *     {@link HealthState#UP} until it reports
 * @param ejected whether outlier detection ejected it
 * @param weight the weight given to the scheduler: the administrative weight when one is set, else
 *     the membership's; 0 while draining or in maintenance
 * @param serving whether new requests may go to it: active, weight above 0, neither check nor report
 *     down, not ejected
 * @param detail the detail of the last health result or report, empty when none
 */
public record BackendState(Backend backend, AdminState admin, HealthState checked, HealthState reported,
    boolean ejected, int weight, boolean serving, String detail) {

  /**
   * Checks the components.
   *
   * @throws NullPointerException when a component is null
   */
  public BackendState {
    Objects.requireNonNull(backend, "backend");
    Objects.requireNonNull(admin, "admin");
    Objects.requireNonNull(checked, "checked");
    Objects.requireNonNull(reported, "reported");
    Objects.requireNonNull(detail, "detail");
  }

  /**
   * Returns the backend's id.
   *
   * @return the id
   */
  public String id() {
    return backend.id();
  }
}
