/**
 * Linux sockets and interfaces through the FFM API: {@link io.github.lb4j.linux.IpSocket} (raw and
 * ping sockets), {@link io.github.lb4j.linux.PacketSocket} (AF_PACKET with an optional mmap RX ring),
 * {@link io.github.lb4j.linux.NetInterface} and {@link io.github.lb4j.linux.Poller}. A failing libc
 * call throws {@link io.github.lb4j.linux.NativeCallException} naming the call and errno.
 */
@NullMarked
package io.github.lb4j.linux;

import org.jspecify.annotations.NullMarked;
