/**
 * Linux I/O for lb4j through the Foreign Function and Memory API: raw IP, ping and packet sockets,
 * interface information, network namespaces. A platform layer: it depends on no feature module;
 * the health checks built on it live in lb-health-linux.
 */
module io.github.lb4j.linux {
  requires static transitive org.jspecify;
  requires transitive io.github.lb4j.api;
  requires org.slf4j;

  exports io.github.lb4j.linux;
}
