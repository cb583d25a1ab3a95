package io.github.lb4j.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.lb4j.api.Backend;
import io.github.lb4j.pool.BackendPool;
import io.github.lb4j.pool.Lease;
import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;
import io.grpc.Status;
import java.net.InetAddress;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A pick's lease ends exactly once: when its stream closes, or when gRPC discarded the pick unused. */
class LeaseTracerTest {

  private final BackendPool pool = BackendPool.builder()
      .backends(Backend.of("a", InetAddress.getLoopbackAddress(), 1))
      .build();
  private final UnusedLeases unused = new UnusedLeases();

  @AfterEach
  void close() {
    pool.close();
  }

  private static final ClientStreamTracer.StreamInfo INFO = ClientStreamTracer.StreamInfo.newBuilder().build();

  @Test
  void streamClose_completesTheLeaseWithTheOutcomeOfItsStatus() {
    Lease ok = pool.pick(1);
    Lease failed = pool.pick(2);
    ClientStreamTracer t1 = new LeaseTracer.Factory(ok, pool.clock(), PolicyConfig.DEFAULT_FAILURE_CODES, unused)
        .newClientStreamTracer(INFO, new Metadata());
    ClientStreamTracer t2 = new LeaseTracer.Factory(failed, pool.clock(), PolicyConfig.DEFAULT_FAILURE_CODES, unused)
        .newClientStreamTracer(INFO, new Metadata());
    assertThat(pool.stats().activeRequests()).isEqualTo(2);
    t1.streamClosed(Status.OK);
    t2.streamClosed(Status.UNAVAILABLE);
    assertThat(pool.stats().activeRequests()).isZero();
    assertThat(pool.sessions().of("a").successes()).isEqualTo(1);
    assertThat(pool.sessions().of("a").failures()).isEqualTo(1);
    assertThat(unused.pending()).isZero();
  }

  @Test
  void aFactoryMakesOneReportingTracer() {
    Lease lease = pool.pick(1);
    LeaseTracer.Factory f = new LeaseTracer.Factory(lease, pool.clock(), PolicyConfig.DEFAULT_FAILURE_CODES, unused);
    ClientStreamTracer first = f.newClientStreamTracer(INFO, new Metadata());
    ClientStreamTracer second = f.newClientStreamTracer(INFO, new Metadata());
    second.streamClosed(Status.OK);
    assertThat(pool.stats().activeRequests()).isEqualTo(1);
    first.streamClosed(Status.OK);
    assertThat(pool.stats().activeRequests()).isZero();
  }

  @Test
  void aDiscardedPick_returnsItsLeaseOnceTheFactoryIsUnreachable() {
    discardOnePick();
    assertThat(pool.stats().activeRequests()).isEqualTo(1);
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      System.gc();
      unused.poll();
      return pool.stats().activeRequests() == 0;
    });
    assertThat(unused.pending()).isZero();
    // Returned as CANCELLED: neither a success nor a failure of the backend.
    assertThat(pool.sessions().of("a").successes()).isZero();
    assertThat(pool.sessions().of("a").failures()).isZero();
  }

  private void discardOnePick() {
    new LeaseTracer.Factory(pool.pick(1), pool.clock(), PolicyConfig.DEFAULT_FAILURE_CODES, unused);
  }
}
