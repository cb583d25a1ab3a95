/**
 * Where a pool's backends come from when they are not a fixed list: DNS ({@link
 * io.github.lb4j.discovery.DnsMembership}) and a watched file ({@link
 * io.github.lb4j.discovery.FileMembership}). Each is a {@link io.github.lb4j.pool.MembershipSource}
 * that pushes the complete set to the pool whenever it changes, and never pushes a set it could not
 * read whole.
 */
@NullMarked
package io.github.lb4j.discovery;

import org.jspecify.annotations.NullMarked;
