/** lb4j health. */
@NullMarked
package io.github.lb4j.health;

import org.jspecify.annotations.NullMarked;
