#!/usr/bin/env python3
"""Independent reference encoder for lb-nat's golden-byte tests (HeaderGoldenBytesTest).

Builds each golden frame from the RFC layouts with struct and prints its hex; the Java test pins the
same hex. Run: python3 lb-nat/src/test/python/golden.py
"""
import struct, ipaddress

def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

def mac(s): return bytes.fromhex(s.replace(':', ''))
def v4(s): return ipaddress.IPv4Address(s).packed
def v6(s): return ipaddress.IPv6Address(s).packed
C, L = mac('02:00:00:00:00:02'), mac('02:00:00:00:00:01')

def eth(dst, src, et, vlan=None):
    if vlan is None: return dst + src + struct.pack('!H', et)
    return dst + src + struct.pack('!HHH', 0x8100, vlan, et)

def ip4(src, dst, proto, l4len, ttl=64, tos=0, ident=1, flags=2, frag=0, opts=b''):
    ihl = 5 + len(opts) // 4
    h = struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, tos, ihl * 4 + l4len, ident, flags << 13 | frag, ttl, proto, 0, v4(src), v4(dst)) + opts
    return h[:10] + struct.pack('!H', csum(h)) + h[12:]

def ph4(src, dst, proto, n): return v4(src) + v4(dst) + struct.pack('!BBH', 0, proto, n)
def ph6(src, dst, nh, n): return v6(src) + v6(dst) + struct.pack('!IxxxB', n, nh)

def tcp(sp, dp, seq, ack, flags, ph, payload=b''):
    t = struct.pack('!HHIIBBHHH', sp, dp, seq, ack, 5 << 4, flags, 64240, 0, 0) + payload
    c = csum(ph(len(t)) + t)
    return t[:16] + struct.pack('!H', c) + t[18:]

out = {}
# G1 TCP SYN over IPv4
t = tcp(40000, 80, 1, 0, 0x02, lambda n: ph4('192.0.2.1', '203.0.113.5', 6, n))
out['TCP_SYN_V4'] = eth(L, C, 0x0800) + ip4('192.0.2.1', '203.0.113.5', 6, len(t)) + t
# G2 802.1Q-tagged UDP over IPv4 with checksum 0 and DSCP EF
u = struct.pack('!HHHH', 5353, 53, 12, 0) + bytes([0, 1, 2, 3])
out['UDP_VLAN_V4'] = eth(L, C, 0x0800, 100) + ip4('198.51.100.7', '203.0.113.9', 17, len(u), tos=0xb8) + u
# G3 ICMP echo request over IPv4 with one option word
e = struct.pack('!BBHHH', 8, 0, 0, 7, 9) + bytes([0, 1, 2, 3])
e = e[:2] + struct.pack('!H', csum(e)) + e[4:]
out['ECHO_V4_OPTIONS'] = eth(L, C, 0x0800) + ip4('192.0.2.1', '203.0.113.5', 1, len(e), opts=bytes([1, 1, 1, 0])) + e
# G4 non-first IPv4 fragment
p = bytes(range(8))
out['FRAGMENT_V4'] = eth(L, C, 0x0800) + ip4('192.0.2.1', '203.0.113.5', 17, 8, ident=0x1234, flags=0, frag=185) + p
# G5 TCP over IPv6 behind a hop-by-hop header
t6 = tcp(40000, 443, 1, 0, 0x12, lambda n: ph6('2001:db8::1', '2001:db8::100', 6, n))
hbh = bytes([6, 0, 1, 4, 0, 0, 0, 0])
out['TCP_V6_HOPBYHOP'] = eth(L, C, 0x86dd) + struct.pack('!IHBB', 6 << 28, 8 + len(t6), 0, 64) + v6('2001:db8::1') + v6('2001:db8::100') + hbh + t6
# G6 ICMPv6 echo request
e6 = struct.pack('!BBHHH', 128, 0, 0, 0x42, 1) + bytes([0, 1, 2, 3])
c = csum(ph6('2001:db8::1', '2001:db8::100', 58, len(e6)) + e6)
e6 = e6[:2] + struct.pack('!H', c) + e6[4:]
out['ECHO_V6'] = eth(L, C, 0x86dd) + struct.pack('!IHBB', 6 << 28, len(e6), 58, 64) + v6('2001:db8::1') + v6('2001:db8::100') + e6
# G7 neighbor solicitation for 2001:db8::100
ns = struct.pack('!BBHI', 135, 0, 0, 0) + v6('2001:db8::100') + bytes([1, 1]) + C
c = csum(ph6('2001:db8::1', 'ff02::1:ff00:100', 58, len(ns)) + ns)
ns = ns[:2] + struct.pack('!H', c) + ns[4:]
out['NEIGHBOR_SOLICITATION'] = eth(L, C, 0x86dd) + struct.pack('!IHBB', 6 << 28, len(ns), 58, 255) + v6('2001:db8::1') + v6('ff02::1:ff00:100') + ns
# G8 ARP request
out['ARP_REQUEST'] = eth(mac('ff:ff:ff:ff:ff:ff'), C, 0x0806) + struct.pack('!HHBBH', 1, 0x0800, 6, 4, 1) + C + v4('192.0.2.1') + bytes(6) + v4('192.0.2.10')
# G9 G1 encapsulated IPv4-in-IPv4
inner = out['TCP_SYN_V4'][14:]
out['IPIP_V4'] = eth(L, C, 0x0800) + ip4('198.51.100.1', '198.51.100.10', 4, len(inner), ident=0) + inner
# G10 ICMP fragmentation needed quoting G1 (IP header + 8 bytes), next-hop MTU 1480
q = out['TCP_SYN_V4'][14:14 + 28]
f = struct.pack('!BBHHH', 3, 4, 0, 0, 1480) + q
f = f[:2] + struct.pack('!H', csum(f)) + f[4:]
out['FRAG_NEEDED_V4'] = eth(C, L, 0x0800) + ip4('198.51.100.1', '192.0.2.1', 1, len(f), ident=0, flags=0) + f
# G11 IPv6-in-IPv6 of G6
inner6 = out['ECHO_V6'][14:]
out['IP6IP6'] = eth(L, C, 0x86dd) + struct.pack('!IHBB', 6 << 28, len(inner6), 41, 64) + v6('2001:db8:1::1') + v6('2001:db8:1::10') + inner6

for k, v in out.items():
    print('  static final String %s =\n      "%s";' % (k, v.hex()))
