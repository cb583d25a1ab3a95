package io.github.lb4j.pool;

import io.github.lb4j.api.Backend;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Backends at documentation addresses and a listener that keeps every transition. */
final class Fixtures {

  private Fixtures() {}

  static Backend backend(String id, int last) {
    try {
      return Backend.of(id, InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, (byte) last}), 8080);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  /** {@code n} backends b0..b(n-1) at 192.0.2.10 and up. */
  static List<Backend> backends(int n) {
    List<Backend> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(backend("b" + i, 10 + i));
    }
    return out;
  }

  /** Keeps every transition it hears, in order. */
  static final class Recorder implements PoolListener {
    final List<Transition> seen = new CopyOnWriteArrayList<>();

    @Override
    public void onTransition(Transition t) {
      seen.add(t);
    }

    List<Transition> of(String id) {
      List<Transition> out = new ArrayList<>();
      for (Transition t : seen) {
        if (t.backendId().equals(id)) {
          out.add(t);
        }
      }
      return out;
    }

    List<Transition.Cause> causes(String id) {
      List<Transition.Cause> out = new ArrayList<>();
      for (Transition t : of(id)) {
        out.add(t.cause());
      }
      return out;
    }
  }
}
