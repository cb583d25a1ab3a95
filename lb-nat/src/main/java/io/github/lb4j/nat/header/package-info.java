/**
 * Header flyweights over {@code (ByteBuffer, offset)}, Internet checksums (full and RFC 1624
 * incremental), IP-in-IP encapsulation and the frame parser that classifies a frame once.
 *
 * <p>Every flyweight reads and writes network byte order through the buffer's absolute accessors;
 * buffers must keep the default {@link java.nio.ByteOrder#BIG_ENDIAN} order (the parser drops a frame
 * in another order as {@code UNSUPPORTED}). Flyweights never check bounds themselves: the {@link
 * io.github.lb4j.nat.header.FrameParser} proves a header lies inside the frame before a translator
 * touches it.
 */
@NullMarked
package io.github.lb4j.nat.header;

import org.jspecify.annotations.NullMarked;
