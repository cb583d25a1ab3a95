/** The self-contained demo: loopback HTTP backends, a steady client and a live terminal view. */
@NullMarked
package io.github.lb4j.gateway.demo;

import org.jspecify.annotations.NullMarked;
