package io.github.lb4j.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code lb datapath} run in-process: one clear line and a non-zero exit for each bad flag, before any socket opens. */
class DatapathCommandTest {

  private record Result(int code, String out, String err) {}

  private static Result lb(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = assertTimeoutPreemptively(Duration.ofSeconds(30),
        () -> Lb.run(args, new PrintWriter(out, true), new PrintWriter(err, true)));
    return new Result(code, out.toString(), err.toString());
  }

  private static Result datapath(String... more) {
    List<String> a = new ArrayList<>(List.of("datapath"));
    a.addAll(List.of(more));
    return lb(a.toArray(String[]::new));
  }

  private static void oneLine(Result r, int code, String expected) {
    assertThat(r.code()).isEqualTo(code);
    assertThat(r.err().lines().toList()).singleElement().asString().isEqualTo(expected);
  }

  @Test
  void help_namesEveryMode() {
    Result r = lb("datapath", "--help");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("--mode", "--interface", "--client-interface", "--server-interface", "--snat", "--hairpin-snat",
        "transparent, router, dsr-l2, dsr-ipip, dsr-dscp or full-nat");
  }

  @Test
  void unknownMode_isOneLine() {
    oneLine(datapath("--mode", "nat", "--interface", "eth0", "--vip", "192.0.2.100:80", "--backend", "192.0.2.11:80"), 1,
        "lb datapath: --mode must be one of transparent, router, dsr-l2, dsr-ipip, dsr-dscp, full-nat; was 'nat'");
  }

  @Test
  void missingInterface_isOneLine() {
    oneLine(datapath("--mode", "dsr-l2", "--vip", "192.0.2.100:80", "--backend", "192.0.2.11:80"), 1,
        "lb datapath: give --interface (one-arm), or both --client-interface and --server-interface (inline)");
  }

  @Test
  void oneArmAndInlineTogether_isOneLine() {
    oneLine(datapath("--mode", "dsr-l2", "--interface", "eth0", "--client-interface", "eth1", "--vip", "192.0.2.100:80",
        "--backend", "192.0.2.11:80"), 1,
        "lb datapath: --interface (one-arm) excludes --client-interface and --server-interface (inline)");
  }

  @Test
  void fullNatWithoutSnat_isOneLine() {
    oneLine(datapath("--mode", "full-nat", "--interface", "eth0", "--vip", "192.0.2.100:80", "--gateway", "192.0.2.1",
        "--backend", "192.0.2.11:80"), 1, "lb datapath: --mode full-nat needs at least one --snat address");
  }

  @Test
  void routerWithoutGateway_isOneLine() {
    oneLine(datapath("--mode", "router", "--client-interface", "eth0", "--server-interface", "eth1", "--vip", "192.0.2.100:80",
        "--backend", "198.51.100.11:80"), 1, "lb datapath: --mode router needs --gateway: replies are sent to it");
  }

  @Test
  void secondChanceInANatMode_isOneLine_withTheReason() {
    oneLine(datapath("--mode", "full-nat", "--interface", "eth0", "--vip", "192.0.2.100:80", "--gateway", "192.0.2.1",
        "--snat", "192.0.2.3", "--backend", "192.0.2.11:80", "--second-chance"), 1,
        "lb datapath: --second-chance is for the DSR modes: in --mode full-nat replies return through the balancer holding"
            + " the flow's translation, so a flow cannot move to another balancer");
  }

  @Test
  void dscpModeWithoutDscp_isOneLine() {
    oneLine(datapath("--mode", "dsr-dscp", "--interface", "eth0", "--vip", "192.0.2.100:80", "--backend", "192.0.2.11:80"), 1,
        "lb datapath: --mode dsr-dscp needs --dscp");
  }

  @Test
  void hostNameInsteadOfAddress_isOneLine_andNeverResolved() {
    oneLine(datapath("--mode", "dsr-l2", "--interface", "eth0", "--vip", "vip.example:80", "--backend", "192.0.2.11:80"), 1,
        "lb datapath: --vip needs a literal IPv4 or IPv6 address, was 'vip.example'");
  }

  @Test
  void backendWithoutPort_isOneLine() {
    oneLine(datapath("--mode", "dsr-l2", "--interface", "eth0", "--vip", "192.0.2.100:80", "--backend", "192.0.2.11"), 1,
        "lb datapath: --backend must be [ID=]IP:PORT or [ID=][IPv6]:PORT, was '192.0.2.11'");
  }

  @Test
  void ipv6BackendWithAPortButNoBrackets_saysToUseBrackets() {
    oneLine(datapath("--mode", "dsr-l2", "--interface", "eth0", "--vip", "[2001:db8::80]", "--backend", "2001:db8::11:80"), 1,
        "lb datapath: --backend must be [ID=]IP:PORT or [ID=][IPv6]:PORT, was '2001:db8::11:80': write an IPv6 address with"
            + " a port in brackets");
  }

  /** Every accepted form of --vip gets past parsing: the next error is the missing interface. */
  @Test
  void vipInEveryForm_isAccepted_bracketsWithOrWithoutPort() {
    for (String vip : List.of("[2001:db8::80]", "[2001:db8::80]:80", "2001:db8::80", "192.0.2.100", "192.0.2.100:80")) {
      String backend = vip.contains(":") && !vip.startsWith("192") ? "[2001:db8::11]:80" : "192.0.2.11:80";
      Result r = datapath("--mode", "dsr-l2", "--interface", "lb4jnosuch0", "--vip", vip, "--backend", backend, "--check", "none");
      assertThat(r.err()).as("--vip %s", vip).startsWith("lb datapath: interface lb4jnosuch0 not found");
    }
  }

  @Test
  void vipWithAnUnclosedBracket_isOneLine() {
    oneLine(datapath("--mode", "dsr-l2", "--interface", "eth0", "--vip", "[2001:db8::80", "--backend", "[2001:db8::11]:80"), 1,
        "lb datapath: --vip has no ']' after its IPv6 address, was '[2001:db8::80' (IP, IP:PORT, [IPv6] or [IPv6]:PORT)");
  }

  @Test
  void vipWithAColonAndNoPort_isOneLine() {
    oneLine(datapath("--mode", "dsr-l2", "--interface", "eth0", "--vip", "[2001:db8::80]:", "--backend", "[2001:db8::11]:80"), 1,
        "lb datapath: --vip has ':' but no port after it, was '[2001:db8::80]:'");
  }

  @Test
  void vlanOutOfRange_isOneLine() {
    oneLine(datapath("--mode", "dsr-l2", "--interface", "eth0", "--vlan", "4095", "--vip", "192.0.2.100:80", "--backend",
        "192.0.2.11:80"), 1, "lb datapath: --client-vlan must be a VLAN id in 1..4094, was 4095");
  }

  @Test
  void inlineVlanFlagsOnOneArm_isOneLine() {
    oneLine(datapath("--mode", "dsr-l2", "--interface", "eth0", "--client-vlan", "10", "--vip", "192.0.2.100:80", "--backend",
        "192.0.2.11:80"), 1, "lb datapath: --client-vlan and --server-vlan are for inline; one-arm takes --vlan");
  }

  @Test
  void inlineOnOneInterfaceAndOneVlan_isOneLine_twoVlansOfOneTrunkAreAccepted() {
    oneLine(datapath("--mode", "router", "--client-interface", "eth0", "--server-interface", "eth0", "--vip", "192.0.2.100:80",
        "--gateway", "192.0.2.1", "--backend", "198.51.100.11:80"), 1,
        "lb datapath: --client-interface and --server-interface are both eth0: inline needs two interfaces, or two VLANs of one"
            + " trunk (--client-vlan, --server-vlan)");
    Result r = datapath("--mode", "router", "--client-interface", "lb4jnosuch0", "--client-vlan", "10", "--server-interface",
        "lb4jnosuch0", "--server-vlan", "20", "--vip", "192.0.2.100:80", "--gateway", "192.0.2.1", "--backend", "198.51.100.11:80",
        "--check", "none");
    assertThat(r.err()).startsWith("lb datapath: interface lb4jnosuch0 not found");
  }

  @Test
  void badPort_isOneLine() {
    oneLine(datapath("--mode", "dsr-l2", "--interface", "eth0", "--vip", "192.0.2.100:0", "--backend", "192.0.2.11:80"), 1,
        "lb datapath: --vip port must be in 1..65535, was '0'");
  }

  @Test
  void duplicateBackend_isOneLine() {
    oneLine(datapath("--mode", "dsr-l2", "--interface", "eth0", "--vip", "192.0.2.100:80", "--backend", "a=192.0.2.11:80",
        "--backend", "a=192.0.2.12:80"), 1, "lb datapath: --backend a is given twice");
  }

  @Test
  void missingInterfaceOnTheHost_isOneLine() {
    Result r = datapath("--mode", "dsr-l2", "--interface", "lb4jnosuch0", "--vip", "192.0.2.100:80", "--backend", "192.0.2.11:80",
        "--check", "none");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err().lines().toList()).singleElement().asString().startsWith("lb datapath: interface lb4jnosuch0 not found");
  }

  @Test
  void unknownFlag_isOneLine_exit2() {
    oneLine(datapath("--mode", "dsr-l2", "--vip", "192.0.2.100:80", "--backend", "192.0.2.11:80", "--frobnicate"), 2,
        "lb datapath: Unknown option: '--frobnicate' (see lb datapath --help)");
  }

  @Test
  void missingRequiredFlags_isOneLine_exit2() {
    oneLine(datapath(), 2, "lb datapath: Missing required options: '--mode=MODE', '--vip=IP[:PORT]', '--backend=[ID=]IP:PORT'"
        + " (see lb datapath --help)");
  }
}
