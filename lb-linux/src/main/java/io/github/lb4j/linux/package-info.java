/** lb4j linux. */
@NullMarked
package io.github.lb4j.linux;

import org.jspecify.annotations.NullMarked;
