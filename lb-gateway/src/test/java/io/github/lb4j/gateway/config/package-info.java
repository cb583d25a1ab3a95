/** Tests of the configuration file and the flag values. */
@NullMarked
package io.github.lb4j.gateway.config;

import org.jspecify.annotations.NullMarked;
