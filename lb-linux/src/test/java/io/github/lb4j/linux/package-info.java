/** Tests of lb-linux's sockets and interfaces. */
@NullMarked
package io.github.lb4j.linux;

import org.jspecify.annotations.NullMarked;
