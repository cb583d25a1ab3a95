package io.github.lb4j.gateway.datapath;

/**
 * A {@link Datapath#start} ended by an interrupt of the starting thread (a stop asked for while it
 * waited for its next hops' MAC addresses): everything it had opened is closed. The message says
 * what it was waiting for. Any thread.
 */
public final class StartCancelledException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what the start was waiting for
   */
  public StartCancelledException(String message) {
    super(message);
  }
}
