/** Tests of the announcer: configuration checks, what the speakers accept, and real sessions with an FRR router. */
@NullMarked
package io.github.lb4j.announce;

import org.jspecify.annotations.NullMarked;
