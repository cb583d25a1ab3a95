/** End-to-end tests of {@code lb datapath} in network namespaces, and the lab that builds them. */
@NullMarked
package io.github.lb4j.gateway.datapath;

import org.jspecify.annotations.NullMarked;
