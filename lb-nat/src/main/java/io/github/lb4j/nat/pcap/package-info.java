/** Classic libpcap files (LINKTYPE_ETHERNET), written and read so frames open in Wireshark and tshark. */
@NullMarked
package io.github.lb4j.nat.pcap;

import org.jspecify.annotations.NullMarked;
