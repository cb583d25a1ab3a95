/** Every scheduling algorithm of lb4j, registered by name with {@link io.github.lb4j.api.Schedulers}. */
module io.github.lb4j.algorithms {
  requires static org.jspecify;
  requires io.github.lb4j.api;
  requires org.slf4j;
}
