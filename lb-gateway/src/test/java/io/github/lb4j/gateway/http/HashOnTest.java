package io.github.lb4j.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** --hash-on feeds pick(key): with a hashing scheduler equal keys stick, different keys spread. */
class HashOnTest {

  private static Fixture maglev(HashOn on, RawBackend... b) throws Exception {
    return new Fixture(List.of(b), p -> p.scheduler("maglev").seed(7), h -> h.hashOn(on));
  }

  private static Set<String> served(Fixture f, List<String> requests) throws Exception {
    Set<String> names = new HashSet<>();
    try (RawClient c = f.client()) {
      for (String r : requests) {
        names.add(c.send(r).read().body());
      }
    }
    return names;
  }

  @Test
  void header_sameValueSameBackend_differentValuesSpread() throws Exception {
    try (RawBackend a = RawBackend.named("a"); RawBackend b = RawBackend.named("b"); RawBackend c = RawBackend.named("c");
        Fixture f = maglev(HashOn.parse("header:X-User"), a, b, c)) {
      for (int user = 0; user < 5; user++) {
        String req = "GET /x" + user + " HTTP/1.1\r\nHost: h\r\nX-User: user-" + user + "\r\n\r\n";
        assertThat(served(f, List.of(req, req, req, req))).hasSize(1);
      }
      List<String> many = new java.util.ArrayList<>();
      for (int user = 0; user < 40; user++) {
        many.add("GET / HTTP/1.1\r\nHost: h\r\nX-User: u" + user + "\r\n\r\n");
      }
      assertThat(served(f, many)).hasSize(3);
    }
  }

  @Test
  void cookie_sticksOnTheCookieValueWhateverElseChanges() throws Exception {
    try (RawBackend a = RawBackend.named("a"); RawBackend b = RawBackend.named("b"); RawBackend c = RawBackend.named("c");
        Fixture f = maglev(HashOn.parse("cookie:sid"), a, b, c)) {
      for (int s = 0; s < 5; s++) {
        List<String> reqs = List.of(
            "GET /1 HTTP/1.1\r\nHost: h\r\nCookie: sid=s" + s + "\r\n\r\n",
            "GET /2 HTTP/1.1\r\nHost: h\r\nCookie: theme=dark; sid=s" + s + "; x=1\r\n\r\n",
            "GET /3 HTTP/1.1\r\nHost: h\r\nCookie: a=b\r\nCookie: sid=\"s" + s + "\"\r\n\r\n");
        assertThat(served(f, reqs)).hasSize(1);
      }
    }
  }

  @Test
  void pathAndSource_areKeysToo() throws Exception {
    try (RawBackend a = RawBackend.named("a"); RawBackend b = RawBackend.named("b"); RawBackend c = RawBackend.named("c")) {
      try (Fixture f = maglev(HashOn.parse("path"), a, b, c)) {
        assertThat(served(f, List.of("GET /p?x=1 HTTP/1.1\r\nHost: h\r\n\r\n", "GET /p?x=2 HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET /p HTTP/1.1\r\nHost: h\r\n\r\n"))).hasSize(1);
      }
      try (Fixture f = maglev(HashOn.parse("source"), a, b, c)) {
        List<String> any = new java.util.ArrayList<>();
        for (int i = 0; i < 12; i++) {
          any.add("GET /" + i + " HTTP/1.1\r\nHost: h\r\nX-User: " + i + "\r\n\r\n");
        }
        assertThat(served(f, any)).hasSize(1);
      }
    }
  }

  @Test
  void missingHeader_fallsBackToARandomKey() throws Exception {
    try (RawBackend a = RawBackend.named("a"); RawBackend b = RawBackend.named("b"); RawBackend c = RawBackend.named("c");
        Fixture f = maglev(HashOn.parse("header:X-User"), a, b, c)) {
      List<String> anonymous = java.util.Collections.nCopies(60, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
      assertThat(served(f, anonymous)).hasSizeGreaterThan(1);
    }
  }

  @Test
  void parse_refusesWhatItDoesNotKnow() {
    assertThat(HashOn.parse("Header:X-A").toString()).isEqualTo("header:X-A");
    assertThat(HashOn.parse("none")).isEqualTo(HashOn.NONE);
    assertThatThrownBy(() -> HashOn.parse("uri")).hasMessageContaining("none, source, path, header:NAME or cookie:NAME");
    assertThatThrownBy(() -> HashOn.parse("header:")).hasMessageContaining("needs a name");
    assertThatThrownBy(() -> HashOn.parse("header:a b")).hasMessageContaining("token characters");
    assertThatThrownBy(() -> HashOn.parse("source:x")).hasMessageContaining("takes no name");
  }
}
