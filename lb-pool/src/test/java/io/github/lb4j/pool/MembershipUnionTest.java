package io.github.lb4j.pool;

import static io.github.lb4j.pool.Fixtures.backend;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.lb4j.api.Backend;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Several membership sources feeding one pool: their union, its conflicts, its first answer. */
class MembershipUnionTest {

  private static List<String> ids(BackendPool pool) {
    return pool.backends().stream().map(BackendState::id).toList();
  }

  @Test
  void eachPartsChanges_reachThePool_theOthersStay() {
    DynamicMembership a = new DynamicMembership(List.of(backend("a1", 1)));
    DynamicMembership b = new DynamicMembership(List.of(backend("b1", 2), backend("b2", 3)));
    MembershipUnion union = MembershipUnion.of(List.of(a, b), List.of("a", "b"));
    try (BackendPool pool = BackendPool.builder().membership(union).build()) {
      assertThat(ids(pool)).containsExactly("a1", "b1", "b2");

      b.remove("b1");
      b.put(backend("b3", 4).withWeight(5));
      a.put(backend("a1", 1).withWeight(7));
      assertThat(ids(pool)).containsExactly("a1", "b2", "b3");
      assertThat(pool.backend("a1").weight()).isEqualTo(7);
      assertThat(pool.backend("b3").weight()).isEqualTo(5);

      b.set(List.of());
      assertThat(ids(pool)).containsExactly("a1");
      assertThat(union.backends()).extracting(Backend::id).containsExactly("a1");
    }
  }

  @Test
  void aLaterPartsDuplicateIdOrAddress_isLeftOut_untilTheEarlierOneGoes() {
    DynamicMembership a = new DynamicMembership(List.of(backend("web", 1)));
    DynamicMembership b = new DynamicMembership(List.of(backend("web", 9), backend("other-name", 1), backend("b", 2)));
    try (BackendPool pool = BackendPool.builder().membership(MembershipUnion.of(List.of(a, b))).build()) {
      // "web" from b has a's id; "other-name" has a's address and port: both would double a share.
      assertThat(ids(pool)).containsExactly("web", "b");
      assertThat(pool.backend("web").backend().address().getHostAddress()).isEqualTo("192.0.2.1");

      a.set(List.of());
      assertThat(ids(pool)).containsExactlyInAnyOrder("web", "other-name", "b");
      assertThat(pool.backend("web").backend().address().getHostAddress()).isEqualTo("192.0.2.9");
    }
  }

  @Test
  void awaitFirstPush_namesThePartsNotHeardFrom() throws Exception {
    MembershipSource silent = sink -> { };
    DynamicMembership now = new DynamicMembership(List.of(backend("a", 1)));
    MembershipUnion union = MembershipUnion.of(List.of(now, silent), List.of("static", "srv:_x._tcp.example.test"));
    try (BackendPool pool = BackendPool.builder().membership(union).build()) {
      assertThat(union.awaitFirstPush(Duration.ZERO)).containsExactly("srv:_x._tcp.example.test");
      assertThat(ids(pool)).containsExactly("a");
    }
  }

  @Test
  void closingThePool_closesEveryPart_andLaterPushesAreIgnored() {
    AtomicBoolean closedA = new AtomicBoolean();
    DynamicMembership inner = new DynamicMembership(List.of(backend("a", 1)));
    MembershipSource a = new MembershipSource() {
      @Override
      public void start(MembershipSink sink) {
        inner.start(sink);
      }

      @Override
      public void close() {
        closedA.set(true);
        inner.close();
      }
    };
    DynamicMembership b = new DynamicMembership(List.of(backend("b", 2)));
    MembershipUnion union = MembershipUnion.of(List.of(a, b));
    BackendPool pool = BackendPool.builder().membership(union).build();
    pool.close();
    assertThat(closedA).isTrue();
    b.put(backend("c", 3));
    assertThat(union.backends()).extracting(Backend::id).containsExactly("a", "b");
  }

  @Test
  void badArguments_areRefused() {
    assertThatThrownBy(() -> MembershipUnion.of(List.of())).hasMessageContaining("at least one");
    assertThatThrownBy(() -> MembershipUnion.of(List.of(new DynamicMembership()), List.of())).hasMessageContaining("1 sources but 0 names");
  }
}
