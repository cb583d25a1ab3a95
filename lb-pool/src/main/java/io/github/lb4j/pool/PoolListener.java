package io.github.lb4j.pool;

/**
 * Told of every change of every backend of a {@link BackendPool}, with its cause.
 *
 * <p>Called on the pool's control context, one call at a time, in the order the changes were
 * applied, after the new state is published (a pick made from the listener sees it). Must not
 * block and must not wait for another control task (such as {@code pool.setAdminState(...).join()}),
 * which would wait for itself; may allocate. An exception is logged and does not stop the other
 * listeners.
 */
@FunctionalInterface
public interface PoolListener {

  /**
   * One backend changed.
   *
   * @param transition what changed and why
   */
  void onTransition(Transition transition);
}
