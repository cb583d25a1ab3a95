package io.github.lb4j.testing;

import java.lang.reflect.AnnotatedElement;
import java.util.Optional;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Checks {@link Privileged} on the test class before {@code @BeforeAll} and on the test method
 * before {@code @BeforeEach}; registered by the annotation itself. JUnit creates it; stateless.
 */
public final class PrivilegedExtension implements BeforeAllCallback, BeforeEachCallback {

  /** Created by JUnit. */
  public PrivilegedExtension() {}

  @Override
  public void beforeAll(ExtensionContext context) {
    check(context.getRequiredTestClass(), context.getDisplayName());
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    context.getTestMethod().ifPresent(m -> check(m, context.getDisplayName()));
  }

  private static void check(AnnotatedElement element, String testName) {
    Optional<Privileged> found = AnnotationSupport.findAnnotation(element, Privileged.class);
    if (found.isEmpty()) {
      return;
    }
    Privileged p = found.get();
    String what = p.value().isEmpty() ? testName : p.value();
    Requirements.requireCapabilities(what, p.capabilities());
    Requirements.requireCommands(what, p.commands());
    if (p.ipv6()) {
      Requirements.requireIpv6(what);
    }
  }
}
