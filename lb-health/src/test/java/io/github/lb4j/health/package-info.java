/** Tests of the monitor and the outlier detector, on a clock and scheduler driven by hand. */
@NullMarked
package io.github.lb4j.health;

import org.jspecify.annotations.NullMarked;
