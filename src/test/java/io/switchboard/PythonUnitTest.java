package io.switchboard;

import io.switchboard.testing.JvmProcess;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The Python SDK's own unit tests ({@code src/test/python}, against a fake bridge), on their own:
 * no cluster has to start for them to run, so a cluster that fails hides nothing here. Without
 * {@code python3} (3.9 or later) this fails saying so; it never passes silently.
 */
@DisplayName("The Python SDK's unit tests")
@Timeout(180)
class PythonUnitTest {

  @Test
  @DisplayName("pass: framing, registering, replies, pushes, leave, service-side close, coroutine callbacks, the token file")
  void pythonUnitTests() {
    requirePython();
    JvmProcess tests = JvmProcess.start("python-unittest",
      List.of(PythonServiceTest.PYTHON, "-m", "unittest", "discover", "-s", "src/test/python", "-v"), Map.of());
    int exit = tests.awaitExit(150_000);
    assertEquals(0, exit, "python3 -m unittest said:\n" + tests.output());
    assertTrue(tests.output().lines().anyMatch(l -> l.matches("Ran [1-9]\\d* tests? in .*")), tests.output());
    assertTrue(tests.output().lines().noneMatch(l -> l.contains("skipped")), "no Python test is skipped:\n" + tests.output());
  }

  /** Fails with the install command when the interpreter is missing or older than 3.9. */
  static void requirePython() {
    String why;
    try {
      Process p = new ProcessBuilder(PythonServiceTest.PYTHON, "-c",
        "import sys; sys.exit(0 if sys.version_info >= (3, 9) else 3)").redirectErrorStream(true).start();
      int exit = p.waitFor();
      if (exit == 0) {
        return;
      }
      why = PythonServiceTest.PYTHON + " is older than 3.9 (exit " + exit + ")";
    } catch (IOException e) {
      why = "cannot run " + PythonServiceTest.PYTHON + ": " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      why = "interrupted";
    }
    fail("The Python SDK tests need python3 3.9 or later on the PATH (or SWITCHBOARD_PYTHON naming one): " + why
      + ". Install it, e.g. sudo apt-get install python3");
  }
}
