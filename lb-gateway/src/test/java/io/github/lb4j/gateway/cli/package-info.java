/** Tests of the lb command line, run in-process. */
@NullMarked
package io.github.lb4j.gateway.cli;

import org.jspecify.annotations.NullMarked;
