/** lb4j gateway. */
@NullMarked
package io.github.lb4j.gateway;

import org.jspecify.annotations.NullMarked;
