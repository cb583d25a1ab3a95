package io.github.lb4j.pool;

import io.github.lb4j.api.Backend;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/** Checks shared by the membership types. Stateless; any thread. */
final class Memberships {

  private Memberships() {}

  static void checkUnique(Collection<Backend> backends) {
    Set<String> ids = new HashSet<>();
    for (Backend b : backends) {
      if (!ids.add(b.id())) {
        throw new IllegalArgumentException("backend id '" + b.id() + "' appears twice in the membership");
      }
    }
  }
}
