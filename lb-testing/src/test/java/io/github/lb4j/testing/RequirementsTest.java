package io.github.lb4j.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

class RequirementsTest {

  @Test
  void unavailable_skipsWithTheReason_whenNotStrict() {
    assertThatThrownBy(() -> Requirements.unavailable("the lab needs 'ip'", false))
        .isInstanceOf(TestAbortedException.class)
        .hasMessageContaining("the lab needs 'ip'");
  }

  @Test
  void unavailable_fails_whenStrict() {
    assertThatThrownBy(() -> Requirements.unavailable("the lab needs 'ip'", true))
        .isInstanceOf(AssertionFailedError.class)
        .hasMessageContaining("the lab needs 'ip'")
        .hasMessageContaining("LB_REQUIRE_PRIVILEGED=1 forbids skipping");
  }

  @Test
  void require_passes_whenTheConditionHolds() {
    Requirements.require(true, "never said");
  }

  @Test
  void requireCommand_findsAShellAndNamesTheDebianPackageOfAMissingTool() {
    assertThat(Requirements.findCommand("sh")).isPresent();
    assertThat(Requirements.findCommand("no-such-tool-lb4j")).isEmpty();
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> Requirements.requireCommand("the wire proof", "tshark-missing-lb4j"));
    assertThat(t).isInstanceOfAny(TestAbortedException.class, AssertionFailedError.class)
        .hasMessageContaining("the wire proof needs 'tshark-missing-lb4j'");
  }

  @Test
  void capabilities_areReadFromProcSelfStatus() {
    boolean root = "root".equals(System.getProperty("user.name"));
    if (root) {
      assertThat(Requirements.hasCapability(Capability.NET_ADMIN)).isTrue();
    }
    assertThat(Capability.NET_RAW.kernelName()).isEqualTo("CAP_NET_RAW");
    assertThat(Capability.NET_RAW.number()).isEqualTo(13);
  }

  @Test
  void annotation_onAClassWhoseToolIsMissing_skipsOrFailsBeforeBeforeAll() {
    List<String> events = run(NeedsAMissingTool.class);
    String expected = Requirements.strict() ? "class FAILED" : "class ABORTED";
    assertThat(events).containsExactly(expected);
    assertThat(NeedsAMissingTool.beforeAllRan).isFalse();
  }

  @Test
  void annotation_onAMethod_leavesTheOtherMethodsRunning() {
    List<String> events = run(OneMethodNeedsAMissingTool.class);
    assertThat(events).contains("runs SUCCESSFUL",
        Requirements.strict() ? "needsTool FAILED" : "needsTool ABORTED");
  }

  @Test
  void sharedNames_areRandomAndShort() {
    String a = NamespaceLab.uniqueSuffix(6);
    String b = NamespaceLab.uniqueSuffix(6);
    assertThat(a).hasSize(6).matches("[0-9a-z]{6}");
    assertThat(a).isNotEqualTo(b);
  }

  private static List<String> run(Class<?> testClass) {
    List<String> events = new ArrayList<>();
    Launcher launcher = LauncherFactory.create();
    launcher.execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(testClass)).build(),
        new TestExecutionListener() {
          @Override
          public void executionFinished(TestIdentifier id, TestExecutionResult result) {
            id.getSource().ifPresent(source -> {
              String name = source instanceof org.junit.platform.engine.support.descriptor.MethodSource m
                  ? m.getMethodName()
                  : source instanceof org.junit.platform.engine.support.descriptor.ClassSource ? "class" : "?";
              if (!name.equals("class") || result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                events.add(name + " " + result.getStatus());
              }
            });
          }
        });
    return events;
  }

  /** Run only through the launcher above. */
  @Privileged(value = "a test of the extension", commands = "no-such-tool-lb4j")
  static class NeedsAMissingTool {
    static boolean beforeAllRan;

    @org.junit.jupiter.api.BeforeAll
    static void setUp() {
      beforeAllRan = true;
    }

    @Test
    void never() {}
  }

  /** Run only through the launcher above. */
  static class OneMethodNeedsAMissingTool {
    @Test
    void runs() {}

    @Test
    @Privileged(commands = "no-such-tool-lb4j")
    void needsTool() {}
  }
}
