package io.github.lb4j.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Declares what a test class or method needs; {@link PrivilegedExtension} checks it before the
 * class's {@code @BeforeAll} (on a class) or the method's {@code @BeforeEach} (on a method) and
 * skips with a printed reason, or fails when {@code LB_REQUIRE_PRIVILEGED=1}, as {@link
 * Requirements} does.
 *
 * <pre>{@code
 * @Privileged(value = "the namespace lab", capabilities = {Capability.NET_ADMIN, Capability.SYS_ADMIN},
 *     commands = "ip")
 * class PacketSocketTest { ... }
 * }</pre>
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@ExtendWith(PrivilegedExtension.class)
public @interface Privileged {

  /**
   * Names what needs the privileges, for the reason printed or failed with.
   *
   * @return for example {@code "the namespace lab"}; empty names the test
   */
  String value() default "";

  /**
   * Lists the capabilities the effective set must hold.
   *
   * @return the capabilities
   */
  Capability[] capabilities() default {};

  /**
   * Lists the executables that must be on the {@code PATH}.
   *
   * @return command names such as {@code "ip"} or {@code "tcpdump"}
   */
  String[] commands() default {};

  /**
   * Tells whether the test needs a kernel with IPv6.
   *
   * @return whether IPv6 is required
   */
  boolean ipv6() default false;
}
