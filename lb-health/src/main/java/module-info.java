/** Every health-check method of lb4j, the health monitor and outlier detection. */
module io.github.lb4j.health {
  requires static org.jspecify;
  requires io.github.lb4j.api;
  requires org.slf4j;
}
