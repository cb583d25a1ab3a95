package io.github.lb4j.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BackendTest {

  private static final InetAddress RIP = address("192.0.2.10");

  static InetAddress address(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void of_givesDefaultWeightAndNoMac() {
    Backend b = Backend.of("web-1", RIP, 8080);
    assertThat(b.id()).isEqualTo("web-1");
    assertThat(b.address()).isEqualTo(RIP);
    assertThat(b.port()).isEqualTo(8080);
    assertThat(b.weight()).isEqualTo(Backend.DEFAULT_WEIGHT);
    assertThat(b.mac()).isNull();
    assertThat(b.isDraining()).isFalse();
  }

  @Test
  void weightZero_meansDrain() {
    assertThat(Backend.of("a", RIP, 80).withWeight(0).isDraining()).isTrue();
  }

  @Test
  void invalidPort_namesFieldAndValue() {
    assertThatThrownBy(() -> Backend.of("a", RIP, 65_536))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("port")
        .hasMessageContaining("65536");
    assertThatThrownBy(() -> Backend.of("a", RIP, -1)).hasMessageContaining("-1");
  }

  @Test
  void invalidWeight_namesFieldValueAndBackend() {
    assertThatThrownBy(() -> Backend.of("web-2", RIP, 80).withWeight(-3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("weight")
        .hasMessageContaining("-3")
        .hasMessageContaining("web-2");
    assertThatThrownBy(() -> Backend.of("a", RIP, 80).withWeight(Backend.MAX_WEIGHT + 1))
        .hasMessageContaining(String.valueOf(Backend.MAX_WEIGHT + 1));
  }

  @Test
  void blankId_isRejected() {
    assertThatThrownBy(() -> Backend.of("  ", RIP, 80))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("id");
  }

  @Test
  void unresolvedSocketAddress_isRejected() {
    assertThatThrownBy(() -> Backend.of("a", InetSocketAddress.createUnresolved("example.invalid", 80)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("resolved");
  }

  @Test
  void equality_coversEveryField() {
    Backend a = Backend.of("a", RIP, 80).withWeight(3).withMac(MacAddress.parse("02:00:00:00:00:01"));
    Backend same = Backend.of("a", RIP, 80).withWeight(3).withMac(MacAddress.parse("02:00:00:00:00:01"));
    assertThat(a).isEqualTo(same).hasSameHashCodeAs(same);
    assertThat(a).isNotEqualTo(same.withWeight(4));
    assertThat(a).isNotEqualTo(same.withMac(null));
    assertThat(a).isNotEqualTo(Backend.of("b", RIP, 80).withWeight(3).withMac(a.mac()));
    assertThat(a).isNotEqualTo(Backend.of("a", RIP, 81).withWeight(3).withMac(a.mac()));
    assertThat(a).isNotEqualTo(Backend.of("a", address("192.0.2.11"), 80).withWeight(3).withMac(a.mac()));
  }

  @Test
  void toString_bracketsIpv6() {
    assertThat(Backend.of("v6", address("2001:db8::1"), 443).toString()).contains("[2001:db8::1]:443");
    assertThat(Backend.of("v4", RIP, 80).toString()).contains("192.0.2.10:80");
  }

  @Test
  void metadata_defaultsToNoZonePriorityZeroAndNoLabels() {
    Backend b = Backend.of("web-1", RIP, 8080);
    assertThat(b.zone()).isNull();
    assertThat(b.priority()).isZero();
    assertThat(b.labels()).isEmpty();
    assertThat(b.label("canary")).isNull();
    assertThat(b.toString()).doesNotContain("zone").doesNotContain("priority").doesNotContain("labels");
  }

  @Test
  void metadata_isCarriedByEveryCopy() {
    Backend b = Backend.of("web-1", RIP, 8080).withZone("eu-west-1a").withPriority(2).withLabel("canary", "true");
    Backend copy = b.withWeight(5).withMac(MacAddress.parse("02:00:00:00:00:01"));
    assertThat(copy.zone()).isEqualTo("eu-west-1a");
    assertThat(copy.priority()).isEqualTo(2);
    assertThat(copy.labels()).containsExactly(Map.entry("canary", "true"));
    assertThat(copy.withZone(null).zone()).isNull();
    assertThat(b.toString()).contains("zone=eu-west-1a").contains("priority=2").contains("canary=true");
  }

  @Test
  void labels_areAnImmutableSortedCopy() {
    Map<String, String> given = new LinkedHashMap<>();
    given.put("tier", "gold");
    given.put("app", "web");
    Backend b = Backend.of("a", RIP, 80).withLabels(given);
    given.put("late", "x");
    assertThat(b.labels()).containsExactly(Map.entry("app", "web"), Map.entry("tier", "gold"));
    assertThatThrownBy(() -> b.labels().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
    assertThat(b.withLabel("app", "api").label("app")).isEqualTo("api");
    assertThat(b.withLabel("empty", "").label("empty")).isEmpty();
    assertThat(b.withLabels(Map.of()).labels()).isEmpty();
  }

  @Test
  void invalidMetadata_namesBackendFieldAndValue() {
    Backend b = Backend.of("web-3", RIP, 80);
    assertThatThrownBy(() -> b.withPriority(-1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("priority").hasMessageContaining("-1").hasMessageContaining("web-3");
    assertThatThrownBy(() -> b.withPriority(Backend.MAX_PRIORITY + 1)).hasMessageContaining("128");
    assertThatThrownBy(() -> b.withZone(" ")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("zone").hasMessageContaining("web-3");
    assertThatThrownBy(() -> b.withZone("eu west")).hasMessageContaining("white space");
    assertThatThrownBy(() -> b.withZone("z".repeat(Backend.MAX_METADATA_LENGTH + 1))).hasMessageContaining("at most");
    assertThatThrownBy(() -> b.withLabel("", "x")).hasMessageContaining("label key");
    assertThatThrownBy(() -> b.withLabel("a b", "x")).hasMessageContaining("white space");
    assertThatThrownBy(() -> b.withLabel("k", "line\nbreak")).hasMessageContaining("value of label k")
        .hasMessageContaining("control characters");
    Map<String, String> many = new HashMap<>();
    for (int i = 0; i <= Backend.MAX_LABELS; i++) {
      many.put("k" + i, "v");
    }
    assertThatThrownBy(() -> b.withLabels(many)).hasMessageContaining("at most " + Backend.MAX_LABELS);
    Map<String, String> nullValue = new HashMap<>();
    nullValue.put("k", null);
    assertThatThrownBy(() -> b.withLabels(nullValue)).isInstanceOf(NullPointerException.class).hasMessageContaining("k");
  }

  @Test
  void equality_coversMetadata() {
    Backend a = Backend.of("a", RIP, 80).withZone("z1").withPriority(1).withLabel("k", "v");
    Backend same = Backend.of("a", RIP, 80).withLabel("k", "v").withPriority(1).withZone("z1");
    assertThat(a).isEqualTo(same).hasSameHashCodeAs(same);
    assertThat(a).isNotEqualTo(same.withZone("z2"));
    assertThat(a).isNotEqualTo(same.withPriority(0));
    assertThat(a).isNotEqualTo(same.withLabel("k", "w"));
  }

  @Test
  void metadata_boundsAreInclusive() {
    Backend b = Backend.of("web-1", RIP, 80);
    assertThat(b.withPriority(Backend.MAX_PRIORITY).priority()).isEqualTo(Backend.MAX_PRIORITY);
    String longest = "z".repeat(Backend.MAX_METADATA_LENGTH);
    assertThat(b.withZone(longest).zone()).isEqualTo(longest);
    assertThat(b.withLabel(longest, longest).label(longest)).isEqualTo(longest);
    Map<String, String> most = new HashMap<>();
    for (int i = 0; i < Backend.MAX_LABELS; i++) {
      most.put("k" + i, "v" + i);
    }
    assertThat(b.withLabels(most).labels()).hasSize(Backend.MAX_LABELS);
    assertThatThrownBy(() -> b.withLabel("k", "v".repeat(Backend.MAX_METADATA_LENGTH + 1)))
        .hasMessageContaining("value of label k").hasMessageContaining("at most");
  }

  @Test
  void invalidMetadata_leavesTheBackendUnchanged_andControlCharactersAreNotEchoed() {
    Backend b = Backend.of("web-1", RIP, 80).withZone("z1").withLabel("app", "web");
    assertThatThrownBy(() -> b.withZone("eu\u0000west")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("control characters").hasMessageContaining("eu?west").hasMessageNotContaining("\u0000");
    assertThatThrownBy(() -> b.withLabel("tier", "a\tb")).hasMessageContaining("control characters");
    assertThatThrownBy(() -> b.withLabel("ti\u0007er", "x")).hasMessageContaining("label key");
    assertThat(b.zone()).isEqualTo("z1");
    assertThat(b.labels()).containsExactly(Map.entry("app", "web"));
  }

  @Test
  void withLabel_addsToTheLabelsItHas_andWithLabelsReplacesThem() {
    Backend b = Backend.of("web-1", RIP, 80).withLabel("app", "web").withLabel("tier", "gold");
    assertThat(b.labels()).containsExactly(Map.entry("app", "web"), Map.entry("tier", "gold"));
    assertThat(b.withLabels(Map.of("canary", "true")).labels()).containsExactly(Map.entry("canary", "true"));
    assertThat(b.withLabel("app", "api").labels()).containsExactly(Map.entry("app", "api"), Map.entry("tier", "gold"));
  }

  @Test
  void metadata_isNotPartOfTheAddress_butIsPartOfTheDefinition() {
    Backend plain = Backend.of("web-1", RIP, 8080);
    Backend zoned = plain.withZone("z1").withPriority(3).withLabel("k", "v");
    assertThat(zoned.socketAddress()).isEqualTo(plain.socketAddress());
    assertThat(zoned.id()).isEqualTo(plain.id());
    assertThat(zoned).isNotEqualTo(plain);
    assertThat(zoned.withZone(null).withPriority(0).withLabels(Map.of())).isEqualTo(plain);
  }
}
