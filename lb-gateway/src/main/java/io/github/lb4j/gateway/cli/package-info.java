/** The {@code lb} command line (picocli): proxy, demo, datapath, trace and serve. */
@NullMarked
package io.github.lb4j.gateway.cli;

import org.jspecify.annotations.NullMarked;
