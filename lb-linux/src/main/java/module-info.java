/** Linux I/O for lb4j through the Foreign Function and Memory API. */
module io.github.lb4j.linux {
  requires static org.jspecify;
  requires io.github.lb4j.api;
  requires io.github.lb4j.health;
  requires org.slf4j;
}
