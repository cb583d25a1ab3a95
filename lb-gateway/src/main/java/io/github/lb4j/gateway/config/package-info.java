/**
 * The text forms of the {@code lb} command: durations, {@code host:port} endpoints and the {@code lb
 * proxy} configuration file, checked in one place for flags and file lines alike. Not exported: an
 * embedder configures {@link io.github.lb4j.gateway.proxy.ProxyServer} through its builder.
 */
@NullMarked
package io.github.lb4j.gateway.config;

import org.jspecify.annotations.NullMarked;
